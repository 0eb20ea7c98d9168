/**
 * The keywords of mrouted.conf: the statements, the options of `phyint` and `tunnel`, and the
 * words of other mrouted versions this reader knows but does not take. Keywords are reserved:
 * no name, interface or host name may be one (mrouted's lexer reads them as keywords too).
 *
 * @module
 */

/** Words that start a statement. */
export const STATEMENT_KEYWORDS: readonly string[] = [
  "phyint",
  "tunnel",
  "name",
  "cache_lifetime",
  "prune_lifetime",
  "pruning",
];

/** An option of a `phyint` or `tunnel` statement. */
export interface VifOption {
  /** The keyword. */
  keyword: string;
  /** What its value is, for "expected ..." messages; `undefined` for a flag. */
  value: string | undefined;
  /** Whether a phyint takes it. */
  phyint: boolean;
  /** Whether a tunnel takes it. */
  tunnel: boolean;
}

/** The options of `phyint` and `tunnel`, in the order the manual gives them. */
export const VIF_OPTIONS: readonly VifOption[] = [
  { keyword: "disable", value: undefined, phyint: true, tunnel: false },
  { keyword: "metric", value: "a number", phyint: true, tunnel: true },
  { keyword: "threshold", value: "a number", phyint: true, tunnel: true },
  { keyword: "rate_limit", value: "a number (kbit/s)", phyint: true, tunnel: true },
  { keyword: "boundary", value: "a boundary name or PREFIX", phyint: true, tunnel: true },
  { keyword: "altnet", value: "a PREFIX", phyint: true, tunnel: false },
  { keyword: "igmpv1", value: undefined, phyint: true, tunnel: false },
];

/** The option named `word`, or `undefined`. */
export function findVifOption(word: string): VifOption | undefined {
  return VIF_OPTIONS.find((o) => o.keyword === word);
}

/** The option keywords a phyint takes. */
export const PHYINT_OPTIONS: readonly string[] = VIF_OPTIONS.filter((o) => o.phyint).map((o) =>
  o.keyword
);

/** The option keywords a tunnel takes. */
export const TUNNEL_OPTIONS: readonly string[] = VIF_OPTIONS.filter((o) => o.tunnel).map((o) =>
  o.keyword
);

/**
 * Keywords of mrouted versions that this reader does not take (filters, SNMP, tunnel flavours,
 * flooding and prune retransmission knobs): they are errors that say so, rather than unknown
 * words with a far-fetched suggestion.
 */
export const UNSUPPORTED_KEYWORDS: readonly string[] = [
  "accept",
  "advert_metric",
  "allow_nonpruners",
  "beside",
  "bidir",
  "blaster",
  "deny",
  "exact",
  "force_leaf",
  "netmask",
  "noflood",
  "notransit",
  "passive",
  "rexmit_prunes",
  "sourceroute",
  "srcrt",
  "sysContact",
  "sysLocation",
  "sysName",
  "sysVersion",
];

/** Whether a bare word is a keyword this reader takes (a statement or an option). */
export function isKeyword(word: string): boolean {
  return STATEMENT_KEYWORDS.includes(word) || findVifOption(word) !== undefined;
}

/**
 * Whether a bare word is reserved: a keyword, or one of {@link UNSUPPORTED_KEYWORDS}. A reserved
 * word is never read as a value, and skipping after an error stops at it.
 */
export function isReserved(word: string): boolean {
  return isKeyword(word) || UNSUPPORTED_KEYWORDS.includes(word);
}
