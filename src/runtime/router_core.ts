/**
 * The routing mode's core as a plane's engine: the DVMRP router of `src/dvmrp/router.ts`, with
 * its settings from the configuration and a generation ID of this start.
 *
 * @module
 */

import type { RoutingConfig } from "../../conf/config.ts";
import type { Subnet } from "../core/subnet.ts";
import { parseIPv4 } from "../proto/addr.ts";
import {
  createRouter,
  nextRouterDeadline,
  type RouterSettings,
  type RouterState,
  stepRouter,
} from "../dvmrp/router.ts";
import type { Core, CoreFactory } from "./plane.ts";

/**
 * The router's settings from the configuration; `genid` is the generation ID of this start
 * (section 3.2.2: a router that restarts must send another), `seed` that of what the cache
 * randomizes (the generation ID when not given).
 */
export function routerSettings(
  routing: RoutingConfig,
  genid: number,
  seed?: number,
): RouterSettings {
  return {
    metrics: routing.metrics,
    tunnels: routing.tunnels.map((t) => ({
      local: t.local,
      remote: t.remote,
      metric: t.metric,
      threshold: t.threshold,
      boundaries: t.boundaries.flatMap((b): Subnet<number>[] => {
        const address = parseIPv4(b.address);
        return address === undefined ? [] : [{ address, prefixLength: b.length }];
      }),
    })),
    pruning: routing.pruning,
    pruneLifetime: routing.pruneLifetime * 1000,
    cacheLifetime: routing.cacheLifetime * 1000,
    genid: genid >>> 0,
    ...(seed === undefined ? {} : { seed: seed >>> 0 }),
  };
}

/** A plane's engine that runs the router. */
export function routerCore(settings: RouterSettings): CoreFactory<number> {
  return (options): Core<number> => {
    const state = createRouter(options, settings);
    return {
      proxy: state.proxy,
      router: state,
      step: (event, now) => stepRouter(state, event, now),
      nextDeadline: () => nextRouterDeadline(state),
    };
  };
}

/**
 * Takes a reloaded configuration's routing settings: pruning and lifetimes apply at once;
 * tunnels and metrics are kept as they run (changing them needs a restart), and each change
 * left out is returned as a warning.
 */
export function reloadRouting(router: RouterState, routing: RoutingConfig): string[] {
  const next = routerSettings(routing, router.settings.genid);
  const warnings: string[] = [];
  if (JSON.stringify(next.tunnels) !== JSON.stringify(router.settings.tunnels)) {
    warnings.push("Reload: the tunnels changed; they are kept as they run until a restart");
  }
  const metrics = (m: ReadonlyMap<string, number>) => JSON.stringify([...m].sort());
  if (metrics(next.metrics) !== metrics(router.settings.metrics)) {
    warnings.push("Reload: interface metrics changed; they are kept as they run until a restart");
  }
  router.settings = {
    ...router.settings,
    pruning: next.pruning,
    pruneLifetime: next.pruneLifetime,
    cacheLifetime: next.cacheLifetime,
  };
  return warnings;
}
