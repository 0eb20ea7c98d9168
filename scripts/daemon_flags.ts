/**
 * How the daemon is run, shared by the build, the installer and the test lab (no side
 * effects, so that tests may import it with no permissions).
 *
 * @module
 */

/**
 * The V8 flags the daemon runs with: young-generation semi-spaces of at most 1 MB (V8's default
 * lets them grow to 16 MB under a burst of reports and keeps them). Measured with the
 * benchmark's report storms (`deno task bench`): about 12 MB less resident memory with 10000
 * groups afterwards (65 MB instead of 77), and reports per second within run-to-run noise.
 */
export const DAEMON_V8_FLAGS = "--v8-flags=--max-semi-space-size=1";
