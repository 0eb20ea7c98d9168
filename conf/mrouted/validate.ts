/**
 * The checks of an mrouted.conf that need the whole file, run once every statement has been
 * read: boundary names resolved against the `name` statements (which may come before or after
 * their use), repeated boundaries of a vif, and two tunnels to one remote end. Then the parsed
 * vifs go into the configuration.
 *
 * @module
 */

import type { Ipv4Prefix, Position, TunnelRemote } from "./config.ts";
import type { MroutedParse, ParsedTunnel, ParsedVif } from "./parse_state.ts";
import { formatPrefix, samePrefix } from "./values.ts";
import { closest } from "../suggest.ts";
import { where } from "../token_stream.ts";
import { formatIPv4 } from "../../src/proto/addr.ts";

/**
 * Runs every whole-file check on a parse, reporting to its word stream, and fills in the
 * configuration's `phyints` and `tunnels` (with their boundaries resolved to prefixes).
 */
export function validateMroutedConfig(parse: MroutedParse): void {
  for (const vif of [...parse.phyints, ...parse.tunnels]) {
    vif.config.boundaries = resolveBoundaries(parse, vif);
  }
  checkDuplicateTunnels(parse);
  parse.config.phyints = parse.phyints.map((p) => p.config);
  parse.config.tunnels = parse.tunnels.map((t) => t.config);
}

/** A boundary of a vif once resolved: its prefix, how it was written and where. */
interface Resolved {
  prefix: Ipv4Prefix;
  label: string;
  at: Position;
}

/**
 * The prefixes of a vif's boundaries in file order. An undefined name is an error, with the
 * closest defined name as a hint; a boundary that repeats an earlier one's prefix (however
 * either was written) is a warning, and kept once.
 */
function resolveBoundaries(parse: MroutedParse, vif: ParsedVif): Ipv4Prefix[] {
  const { words, config } = parse;
  const kept: Resolved[] = [];
  for (const b of vif.boundaries) {
    let r: Resolved;
    if (b.kind === "prefix") {
      r = { prefix: b.prefix, label: formatPrefix(b.prefix), at: b.at };
    } else {
      const name = b.token.value;
      const prefix = config.names.get(name);
      if (prefix === undefined) {
        const hint = closest(name, [[...config.names.keys()]]);
        words.error(
          b.token,
          `undefined boundary name "${name}"` +
            (hint === undefined
              ? ` (define it with "name ${name} PREFIX")`
              : `: did you mean "${hint}"?`),
        );
        continue;
      }
      r = { prefix, label: name, at: b.token.position };
    }
    const first = kept.find((k) => samePrefix(k.prefix, r.prefix));
    if (first === undefined) {
      kept.push(r);
      continue;
    }
    words.warn(
      r.at,
      `boundary "${r.label}" repeats "${first.label}" (at ${where(first.at)}) for ${vif.label}`,
    );
  }
  return kept.map((k) => k.prefix);
}

/** Whether two tunnels lead to the same remote end as written (host names ignore case). */
function sameRemote(a: TunnelRemote, b: TunnelRemote): boolean {
  if (a.kind === "address") return b.kind === "address" && a.address === b.address;
  return b.kind === "hostname" && a.name.toLowerCase() === b.name.toLowerCase();
}

/** Two tunnels to one remote end are an error at the second (mrouted: "Duplicate tunnel"). */
function checkDuplicateTunnels(parse: MroutedParse): void {
  const seen: ParsedTunnel[] = [];
  for (const t of parse.tunnels) {
    const first = seen.find((s) => sameRemote(s.config.remote, t.config.remote));
    if (first === undefined) {
      seen.push(t);
      continue;
    }
    const remote = t.config.remote;
    const shownRemote = remote.kind === "address" ? formatIPv4(remote.address) : remote.name;
    parse.words.error(
      t.remoteToken,
      `duplicate tunnel to ${shownRemote} (first at ${where(first.config.at)})`,
    );
  }
}
