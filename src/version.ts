/**
 * The program's version, shared by the daemon and the client (`mcast-proxyctl -V`).
 *
 * @module
 */

/** The program's version. */
export const VERSION = "0.1.0";
