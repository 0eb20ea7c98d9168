/**
 * The configuration model of mcast-proxy.conf: what the parser produces and the daemon consumes.
 *
 * Only the parts the daemon acts on today are modelled; the grammar grows by adding fields here,
 * productions in the parser and lines in the canonical printer.
 *
 * @module
 */

/** The role of an interface, as in mcast-proxy.conf(5). */
export type Role = "upstream" | "downstream" | "disabled";

/** A network prefix such as `10.0.0.0/8`. */
export interface Prefix {
  /** Address family of the prefix. */
  family: 4 | 6;
  /** The address in its textual form, e.g. `10.0.0.0`. */
  address: string;
  /** Prefix length in bits. */
  length: number;
}

/** Where a configuration item came from, for messages. */
export interface Position {
  /** File name as given by the user (or the included file's name). */
  file: string;
  /** 1-based line. */
  line: number;
  /** 1-based column. */
  col: number;
}

/** One `interface NAME { ... }` block. */
export interface InterfaceConfig {
  /** Interface name, e.g. `eth0`. */
  name: string;
  /** `upstream`, `downstream` or `disabled` (the default). */
  role: Role;
  /** Per-interface `ipv4 yes|no`; `undefined` means the global setting applies. */
  ipv4?: boolean;
  /** Per-interface `ipv6 yes|no`; `undefined` means the global setting applies. */
  ipv6?: boolean;
  /** Minimum TTL a packet needs to be forwarded onto this interface (1-255, default 1). */
  threshold: number;
  /** Extra source networks accepted on this interface (`source ADDR/PREFIX`). */
  sources: Prefix[];
  /** Where the block starts. */
  position: Position;
}

/** A whole parsed configuration. */
export interface Config {
  /** Global `ipv4 yes|no` (default yes). */
  ipv4: boolean;
  /** Global `ipv6 yes|no` (default no). */
  ipv6: boolean;
  /** Interface blocks in file order. */
  interfaces: InterfaceConfig[];
}

/** A configuration error or warning with its position. */
export interface ConfigDiagnostic {
  /** Where in which file. */
  position: Position;
  /** Sentence-case message without final period. */
  message: string;
  /** `error` fails the parse; `warning` is reported and the config is used. */
  severity: "error" | "warning";
}

/** Formats a diagnostic as `file:line:col: message` (warnings say so). */
export function formatDiagnostic(d: ConfigDiagnostic): string {
  const where = `${d.position.file}:${d.position.line}:${d.position.col}`;
  return d.severity === "warning" ? `${where}: warning: ${d.message}` : `${where}: ${d.message}`;
}

/** Whether IPv4 proxying is on for an interface, given the global default. */
export function interfaceIpv4(config: Config, iface: InterfaceConfig): boolean {
  return iface.ipv4 ?? config.ipv4;
}
