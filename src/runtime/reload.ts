/**
 * A reloaded configuration (SIGHUP) applied to the running planes: what it changes of the
 * interfaces goes to each family's plane (see {@link Plane.reconfigure}), a LAN's query version
 * among them; what it cannot change while running (a family not proxied at start, the user, the
 * jail, the SSM ranges) is a warning; a configuration the daemon could not start with is
 * refused whole.
 *
 * @module
 */

import type { Config } from "../../conf/config.ts";
import type { Address } from "../core/family.ts";
import type { Logger } from "../log.ts";
import {
  type ConfiguredFamilies,
  configuredFamilies,
  type ConfiguredInterface,
  type FamilySpec,
  IPV4,
  IPV6,
  StartupError,
} from "./interfaces.ts";
import { errnoOrMessageOf } from "../log.ts";
import type { Plane } from "./plane.ts";
import type { Sys, SystemInterface } from "./sys.ts";

/** Options of {@link applyReload}. */
export interface ReloadOptions {
  /** The new configuration. */
  config: Config;
  /** The configuration running now. */
  running: Config;
  /** The OS port, for the interface list. */
  sys: Pick<Sys, "interfaces">;
  /** Where warnings go. */
  log: Logger;
  /** The running planes; a family not proxied at start has none. */
  planes: { ipv4: Plane<number> | undefined; ipv6: Plane<bigint> | undefined };
  /** Monotonic clock in ms. */
  now: () => number;
}

/**
 * Applies `config` to the running planes: interfaces no longer configured (or with another
 * role) go down, new ones come up, changed settings apply in place; streams whose forwarding
 * does not change are not touched. A configuration the daemon could not start with, or an
 * interface list that cannot be read, is refused with a warning and nothing changes. Returns
 * whether the configuration was taken.
 */
export function applyReload(opts: ReloadOptions): boolean {
  const { config, running, log, planes } = opts;
  const read = readReload(opts);
  if (read === undefined) return false;
  const { configured, system } = read;
  for (const w of configured.warnings) log.warn(w);
  if (
    (config.user ?? "") !== (running.user ?? "") || (config.chroot ?? "") !== (running.chroot ?? "")
  ) {
    log.warn("A new user or chroot takes effect at the next start only");
  }
  if (describeSsmRanges(config) !== describeSsmRanges(running)) {
    log.warn("New SSM ranges (ssm-range) take effect at the next start only");
  }
  const now = opts.now();
  // A warning the IPv6 side shares with the IPv4 side is given once.
  const given = new Set<string>();
  const family = { system, now, log, given };
  reconfigureFamily(IPV4, planes.ipv4, configured.ipv4, family);
  reconfigureFamily(IPV6, planes.ipv6, configured.ipv6, family);
  return true;
}

/** The new configuration's interfaces and the system's, or `undefined` (and why) when refused. */
function readReload(
  opts: ReloadOptions,
): { configured: ConfiguredFamilies; system: SystemInterface[] } | undefined {
  const { log } = opts;
  let configured: ConfiguredFamilies;
  try {
    configured = configuredFamilies(opts.config);
  } catch (err) {
    if (!(err instanceof StartupError)) throw err;
    log.warn(`Reload refused: ${err.message}: the running configuration is kept`);
    return undefined;
  }
  try {
    return { configured, system: opts.sys.interfaces() };
  } catch (err) {
    log.warn(
      `Reload refused: cannot list interfaces: ${
        errnoOrMessageOf(err)
      }: the running configuration ` +
        "is kept",
    );
    return undefined;
  }
}

/**
 * Gives one family's new interfaces to its plane (none: the family is no longer proxied, every
 * interface goes down) and logs the plane's warnings; a family newly asked for without a plane
 * is a warning.
 */
function reconfigureFamily<A extends Address>(
  spec: FamilySpec<A>,
  plane: Plane<A> | undefined,
  configured: ConfiguredInterface<A>[] | undefined,
  ctx: { system: SystemInterface[]; now: number; log: Logger; given: Set<string> },
): void {
  if (plane === undefined) {
    if (configured !== undefined) {
      ctx.log.warn(
        `${spec.name} was not proxied at start: restart the daemon to proxy it (its ` +
          "sockets are opened as root, before the jail)",
      );
    }
    return;
  }
  for (const w of plane.reconfigure(configured ?? [], ctx.system, ctx.now)) {
    if (ctx.given.has(w)) continue;
    ctx.given.add(w);
    ctx.log.warn(spec.logPrefix + w);
  }
}

/** The `ssm-range` lines of a configuration, for comparing and logging. */
function describeSsmRanges(config: Pick<Config, "ssmRanges">): string {
  if (config.ssmRanges.length === 0) return "the default ranges";
  return config.ssmRanges.map((p) => `${p.address}/${p.length}`).join(", ");
}
