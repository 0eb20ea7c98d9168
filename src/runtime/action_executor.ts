/**
 * The action executor: carries out one action of a proxy core through its family's port of the
 * OS layer, logs what it did at debug level, and turns a failed kernel call into one log line
 * (a warning, or a debug line when the interface concerned is known to be gone). Nothing here
 * throws: a failure at runtime never stops the daemon.
 *
 * @module
 */

import { type Action, isAnySource, type LogLevel, type SourceFilter } from "../core/actions.ts";
import type { Address, Family } from "../core/family.ts";
import type { ProxyEvent } from "../core/proxy.ts";
import { readPacketCounts } from "./kernel_counters.ts";
import { errnoOrMessageOf } from "../log.ts";
import type { FamilyPort, JoinOutcome } from "./sys.ts";

/**
 * An interface whose actions may fail without it being news: it vanished, or its VIF could not
 * be added. Failures of actions on it are logged at debug level, not as warnings.
 */
export interface GoneInterface {
  /** Its interface index (joins, leaves and sends). */
  ifindex: number;
  /** Its VIF number (delVif). */
  vifi: number;
  /** Also turn the core's info lines about it into debug lines. */
  quietLog?: boolean;
}

/** What the executor works with: one family's port and log. */
export interface ExecutorContext<A extends Address> {
  /** The family's port of the OS layer. */
  port: FamilyPort<A>;
  /** The core's side of the family (address formats, "VIF" or "MIF"). */
  family: Family<A>;
  /** Logs one line (the caller adds the family's prefix). */
  log: (level: LogLevel, message: string) => void;
  /** Gives an event back to the core at once: the answer to a `sampleMfc` action. */
  feedBack: (event: ProxyEvent<A>) => void;
}

/**
 * Executes one action; a kernel call that fails is logged (see {@link GoneInterface} for which
 * failures are expected) and the daemon goes on. Returns whether the action was done.
 *
 * @example
 * ```ts
 * executeAction(ctx, { kind: "join", group, ifindex: 10, name: "up0" });
 * // port.joinGroup(group, 10), then debug: Joined 239.1.1.1 on "up0"
 * ```
 */
export function executeAction<A extends Address>(
  ctx: ExecutorContext<A>,
  action: Action<A>,
  gone?: GoneInterface,
): boolean {
  try {
    perform(ctx, action, gone);
    return true;
  } catch (err) {
    const why = errnoOrMessageOf(err);
    const message = `${describeAction(ctx.family, action)}: ${why}`;
    if (isGoneFailure(action, gone)) ctx.log("debug", `${message} (the interface is gone)`);
    // What was to be deleted is not there: done, as far as the kernel is concerned.
    else if (action.kind === "delMfc" && why === "ENOENT") {
      ctx.log("debug", `${message} (gone already)`);
    } else ctx.log("warn", message);
    return false;
  }
}

/** The dispatch table of {@link executeAction}: one kernel call per kind, then a debug line. */
function perform<A extends Address>(
  ctx: ExecutorContext<A>,
  a: Action<A>,
  gone: GoneInterface | undefined,
): void {
  const { port, log } = ctx;
  const { format, vifWord } = ctx.family;
  switch (a.kind) {
    case "log":
      log(gone?.quietLog && a.level === "info" ? "debug" : a.level, a.message);
      return;
    case "addVif":
      port.addVif(a);
      return;
    case "delVif":
      port.delVif(a.vifi);
      return;
    case "addMfc":
      port.addMfc(a);
      log(
        "debug",
        `Forwarding (${format(a.source)}, ${format(a.group)}) from ${vifWord} ${a.parent} to ${
          a.oifs.map((o) => `${vifWord} ${o.vifi}`).join(", ")
        }`,
      );
      return;
    case "delMfc":
      port.delMfc(a.source, a.group);
      log("debug", `Removed (${format(a.source)}, ${format(a.group)})`);
      return;
    case "join":
      logJoin(ctx, a, port.joinGroup(a.group, a.ifindex, a.filter));
      return;
    case "leave":
      port.leaveGroup(a.group, a.ifindex);
      log("debug", `Left ${format(a.group)} on "${a.name}"`);
      return;
    case "sendQuery":
      port.send({
        ifindex: a.ifindex,
        source: a.source,
        destination: a.destination,
        message: a.message,
      });
      log("debug", `Sent ${a.what} on "${a.name}"`);
      return;
    case "sendDvmrp":
      port.send({
        ifindex: a.ifindex,
        source: a.source,
        destination: a.destination,
        message: a.message,
      });
      log("debug", `Sent DVMRP ${a.what} on "${a.name}"`);
      return;
    case "sampleMfc":
      ctx.feedBack({ kind: "mfc-counters", counts: readPacketCounts(ctx, a.entries) });
      return;
  }
}

/**
 * The lines of a join: `Joined 232.1.1.1 on "up0": include 10.0.0.2` (a plain join: `Joined
 * 239.1.1.1 on "up0"`), or for a filter changed in place `Source filter of 239.1.1.1 on "up0":
 * exclude 10.0.0.9, 10.0.0.10`; and a warning when the kernel took fewer sources than asked.
 */
function logJoin<A extends Address>(
  ctx: ExecutorContext<A>,
  a: { group: A; name: string; filter?: SourceFilter<A> },
  outcome: JoinOutcome | undefined,
): void {
  const { format } = ctx.family;
  const group = format(a.group);
  const filter = describeFilter(ctx.family, a.filter);
  if (outcome?.change === "updated") {
    ctx.log("debug", `Source filter of ${group} on "${a.name}": ${filter ?? "any source"}`);
  } else {
    ctx.log("debug", `Joined ${group} on "${a.name}"${filter === undefined ? "" : `: ${filter}`}`);
  }
  const capped = outcome?.capped;
  if (capped !== undefined) {
    ctx.log(
      "warn",
      `Source filter of ${group} on "${a.name}" excludes only ${capped.applied} of ` +
        `${capped.wanted} sources, the most the kernel takes: raise ${capped.sysctl}`,
    );
  }
}

/** `include 10.0.0.2, 10.0.0.3`, `exclude 10.0.0.9`; undefined for any source (EXCLUDE {}). */
export function describeFilter<A extends Address>(
  family: Family<A>,
  filter: SourceFilter<A> | undefined,
): string | undefined {
  if (filter === undefined || isAnySource(filter)) return undefined;
  return `${filter.mode} ${filter.sources.map((s) => family.format(s)).join(", ")}`;
}

/** Whether a failed action concerns an interface known to be gone. */
export function isGoneFailure<A extends Address>(
  a: Action<A>,
  gone: GoneInterface | undefined,
): boolean {
  if (gone === undefined) return false;
  switch (a.kind) {
    case "join":
    case "leave":
    case "sendQuery":
    case "sendDvmrp":
      return a.ifindex === gone.ifindex;
    case "delVif":
      return a.vifi === gone.vifi;
    default:
      return false;
  }
}

/** What the log says before the error of a failed action, e.g. `Cannot join 239.1.1.1 on "up0"`. */
export function describeAction<A extends Address>(family: Family<A>, a: Action<A>): string {
  const { format, vifWord } = family;
  switch (a.kind) {
    case "addVif":
      return `Cannot add ${vifWord} ${a.vifi} for "${a.name}"`;
    case "delVif":
      return `Cannot delete ${vifWord} ${a.vifi} for "${a.name}"`;
    case "addMfc":
      return `Cannot add MFC entry for (${format(a.source)}, ${format(a.group)})`;
    case "delMfc":
      return `Cannot delete MFC entry for (${format(a.source)}, ${format(a.group)})`;
    case "join":
      return `Cannot join ${format(a.group)} on "${a.name}"`;
    case "leave":
      return `Cannot leave ${format(a.group)} on "${a.name}"`;
    case "sendQuery":
      return `Cannot send ${a.what} on "${a.name}"`;
    case "sendDvmrp":
      return `Cannot send DVMRP ${a.what} on "${a.name}"`;
    case "sampleMfc":
      return "Cannot read forwarding counters";
    case "log":
      return "Cannot log";
  }
}
