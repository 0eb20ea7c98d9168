/**
 * What the proxy core asks the runtime to do, as data. The runtime executes these through the
 * OS port (`Sys`), in order.
 *
 * @module
 */

/** Log levels the core may emit (fatal belongs to `main.ts`). */
export type LogLevel = "warn" | "info" | "debug";

/** One outgoing VIF of an MFC entry with its TTL threshold. */
export interface Oif {
  /** VIF number. */
  vifi: number;
  /** TTL threshold. */
  ttl: number;
}

/** An action for the runtime. */
export type Action =
  | {
    kind: "addVif";
    vifi: number;
    ifindex: number;
    name: string;
    threshold: number;
    localAddress: number;
  }
  | { kind: "delVif"; vifi: number; name: string }
  | { kind: "addMfc"; source: number; group: number; parent: number; oifs: Oif[] }
  | { kind: "delMfc"; source: number; group: number }
  | { kind: "join"; group: number; ifindex: number; name: string }
  | { kind: "leave"; group: number; ifindex: number; name: string }
  | {
    kind: "sendIgmp";
    ifindex: number;
    name: string;
    source: number;
    destination: number;
    igmp: Uint8Array;
    /** What is sent, for logs: "general query", "group-specific query for 239.1.1.1". */
    what: string;
  }
  /**
   * Read the packet counts of these entries (SIOCGETSGCNT) and feed them back at once as an
   * `mfc-counters` event.
   */
  | { kind: "sampleMfc"; entries: { source: number; group: number }[] }
  | { kind: "log"; level: LogLevel; message: string };
