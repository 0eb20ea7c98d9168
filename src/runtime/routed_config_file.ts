/**
 * Reading the routing mode's mrouted.conf from disk and applying it to the system's interfaces
 * (`routing_config.ts`): at the start, and again on each reload (SIGHUP). A missing file is
 * the default configuration, as mrouted: every multicast-capable interface.
 *
 * @module
 */

import { type Config, formatDiagnostic } from "../../conf/config.ts";
import { defaultMroutedConfig } from "../../conf/mrouted/config.ts";
import { parseMroutedConfig } from "../../conf/mrouted/parser.ts";
import type { Logger } from "../log.ts";
import { type ConfigFs, describeReadError } from "./config_file.ts";
import { routingConfig } from "./routing_config.ts";
import type { SystemInterface } from "./sys.ts";

/** What {@link loadRoutedConfig} gives: the configuration, or the lines that say why not. */
export type RoutedLoad =
  | { ok: true; config: Config; warnings: string[] }
  | { ok: false; errors: string[] };

/** Options of {@link loadRoutedConfig}. */
export interface RoutedLoadOptions {
  /** The file. */
  path: string;
  /** Where it is read. */
  fs: ConfigFs;
  /** The system's interfaces now. */
  interfaces: readonly SystemInterface[];
  /** `-p`. */
  nonPruning: boolean;
  /** `-u`: the user to run as. */
  user?: string;
  /** `-t`: the jail. */
  chroot?: string;
}

/**
 * Reads, parses and applies the configuration. Every diagnostic is a `file:line:col` line
 * (warnings among the `warnings`); a file that does not exist is the default configuration,
 * with a warning.
 */
export function loadRoutedConfig(opts: RoutedLoadOptions): RoutedLoad {
  const { path, fs } = opts;
  let text: string | undefined;
  const warnings: string[] = [];
  try {
    if (!fs.stat(path).isFile) {
      return { ok: false, errors: [`cannot read configuration "${path}": not a regular file`] };
    }
    text = fs.readText(path);
  } catch (err) {
    const why = describeReadError(err);
    if (why !== "no such file") {
      return { ok: false, errors: [`cannot read configuration "${path}": ${why}`] };
    }
    warnings.push(`No configuration "${path}": every multicast-capable interface is a vif`);
  }
  let mrouted = defaultMroutedConfig();
  if (text !== undefined) {
    const parsed = parseMroutedConfig(text, path);
    const lines = parsed.diagnostics.map(formatDiagnostic);
    if (parsed.config === undefined) return { ok: false, errors: lines };
    warnings.push(...lines);
    mrouted = parsed.config;
  }
  const applied = routingConfig(mrouted, opts.interfaces, { nonPruning: opts.nonPruning });
  if (!applied.ok) return applied;
  const config = {
    ...applied.config,
    ...(opts.user === undefined ? {} : { user: opts.user }),
    ...(opts.chroot === undefined ? {} : { chroot: opts.chroot }),
  };
  return { ok: true, config, warnings: [...warnings, ...applied.warnings] };
}

/**
 * The function a reload calls: the configuration read again and applied to the interfaces as
 * they are then, or `undefined` (each problem a warning) when it cannot be used.
 */
export function routedReloader(
  opts: Omit<RoutedLoadOptions, "interfaces"> & {
    interfaces: () => readonly SystemInterface[];
    log: Pick<Logger, "warn">;
  },
): () => Config | undefined {
  return () => {
    const loaded = loadRoutedConfig({ ...opts, interfaces: opts.interfaces() });
    if (!loaded.ok) {
      for (const e of loaded.errors) opts.log.warn(e);
      return undefined;
    }
    for (const w of loaded.warnings) opts.log.warn(w);
    return loaded.config;
  };
}
