/**
 * A PIM-SSM router we did not write, upstream of the proxy: Debian's FRR (`zebra` and `pimd`)
 * in the lab's `src` namespace of a lab built with `routedSource`, the sender behind it.
 *
 * ```text
 *  origin (sender) ---- sn0  src (FRR)  eth0 ---- up0  proxy  dn1 ---- LAN 1
 *  10.9.0.2             ip pim          ip pim, ip igmp (IGMPv3 querier)
 * ```
 *
 * FRR's pimd keeps 232.0.0.0/8 as its SSM range by default (`ip pim ssm prefix-list` unset):
 * there it forwards a channel (S, G) only onto an interface where an IGMPv3 report asked for
 * that source, and ignores any-source (*, G) membership. No rendezvous point is configured, so
 * outside the SSM range it forwards nothing either. `ip pim` on `sn0` makes the source's link
 * the channel's RPF interface; `ip igmp` with version 3 on `eth0` makes the router the IGMPv3
 * querier of the proxy's upstream link. `ip pim` there too: FRR adds an IGMP membership's
 * interface to a channel only where it is the PIM designated router, which it never is on an
 * interface with IGMP alone (measured in the VM: the (S, G) source stayed `Fwd N` in `show ip
 * igmp sources` and no route was installed; with `ip pim` it elects itself DR, nobody else
 * speaking PIM there, and forwards).
 *
 * The daemons run in the foreground, as the package's `frr` user as they do on Debian (FRR
 * refuses root unless root is in its vty group), with their configuration, pid files and sockets
 * in a temporary directory, logging to stdout (followed like the proxy's log). Debian's `frr`
 * 8.4 builds no `pim6d`, so there is no IPv6 counterpart.
 *
 * @example
 * ```ts
 * if ((await frrSupport()).ok) {
 *   await using lab = await createLab({ routedSource: true, hostsPerLan: [1] });
 *   const router = await startPimRouter(lab);
 *   console.log(await router.vtysh("show ip mroute"));
 *   await router.stop();
 * }
 * ```
 *
 * @module
 */

import { aptInstall, runCommand } from "./apt.ts";
import { type Lab, type LabSupport, pathExists } from "./lab.ts";
import { followLog, stopProcess } from "./log_follower.ts";
import { sleep } from "./kernel_state.ts";
import { scaledWait } from "./wait_scale.ts";
import { messageOf } from "../../src/log.ts";

/** The Debian package. */
export const FRR_PACKAGE = "frr";
/** Where Debian's package installs the daemons. */
export const FRR_DAEMONS = "/usr/lib/frr";
/** The daemons the router runs, in start order. */
const DAEMONS = ["zebra", "pimd"] as const;

/** Whether FRR's zebra, pimd and vtysh are installed. */
export async function frrSupport(): Promise<LabSupport> {
  for (const path of [...DAEMONS.map((d) => `${FRR_DAEMONS}/${d}`), "/usr/bin/vtysh"]) {
    if (!(await pathExists(path))) {
      return {
        ok: false,
        reason: `${path} is missing: Debian's "${FRR_PACKAGE}" is not installed ` +
          `(the VM's prefetch installs it on the host; "apt-get install ${FRR_PACKAGE}")`,
      };
    }
  }
  return { ok: true };
}

/**
 * Installs Debian's FRR when it is missing (saying so through `log`). Debian's package starts
 * the system's FRR (zebra and staticd in this host's namespace) where services may start; the
 * lab runs its own daemons in a namespace and needs none, so a system just given FRR has its
 * service disabled and stopped again. Throws with apt's reason when the install fails.
 */
export async function ensureFrr(opts: { log?: (message: string) => void } = {}): Promise<void> {
  if ((await frrSupport()).ok) return;
  opts.log?.(`installing ${FRR_PACKAGE} (the PIM-SSM router of the SSM e2e test)`);
  await aptInstall([FRR_PACKAGE]);
  if (await pathExists("/run/systemd/system")) {
    await runCommand("systemctl", ["disable", "--now", "frr"]);
  } else if (await pathExists("/etc/init.d/frr")) {
    await runCommand("update-rc.d", ["frr", "disable"]);
  }
  const again = await frrSupport();
  if (!again.ok) throw new Error(`Installed "${FRR_PACKAGE}", yet ${again.reason}`);
}

/** Interfaces of the router (defaults: the `routedSource` lab's `src` namespace). */
export interface PimRouterOptions {
  /** Namespace (default the lab's `src`). */
  ns?: string;
  /** The interface toward the source (default `sn0`): `ip pim`. */
  sourceSide?: string;
  /** The interface toward the proxy (default `eth0`): `ip igmp`, IGMPv3 querier. */
  receiverSide?: string;
  /** Echo the daemons' logs to our stderr. */
  echo?: boolean;
  /** Debug logs of IGMP, the kernel's mroute messages, PIM events and RPF lookups. */
  debug?: boolean;
}

/** A running FRR router. */
export interface PimRouter {
  /** The daemons' log lines so far, each prefixed with the daemon's name, daemon by daemon. */
  readonly lines: string[];
  /**
   * Runs vtysh commands, one `-c` each, against the router's daemons (e.g. `"configure
   * terminal", "interface eth0", "ip pim"`); resolves with the output.
   */
  vtysh(...commands: string[]): Promise<string>;
  /** Stops the daemons (SIGTERM, then SIGKILL) and removes the temporary directory. */
  stop(): Promise<void>;
}

/** The pimd configuration of {@link startPimRouter}. */
export function pimdConfig(
  opts: { sourceSide: string; receiverSide: string; debug?: boolean },
): string {
  return [
    "hostname lab-router",
    ...(opts.debug
      ? ["debug igmp", "debug mroute", "debug pim events", "debug pim zebra", "debug pim nht"]
      : []),
    "!",
    `interface ${opts.sourceSide}`,
    " ip pim",
    "!",
    `interface ${opts.receiverSide}`,
    " ip pim",
    " ip igmp",
    " ip igmp version 3",
    "!",
    "",
  ].join("\n");
}

/**
 * Starts zebra, then pimd, in the router's namespace, and resolves once both answer vtysh;
 * throws with the daemons' last log lines when they do not within 20 s (scaled under
 * emulation). {@link Lab.destroy} also stops them.
 */
export async function startPimRouter(lab: Lab, opts: PimRouterOptions = {}): Promise<PimRouter> {
  const ns = opts.ns ?? lab.ns.src;
  const sourceSide = opts.sourceSide ?? "sn0";
  const receiverSide = opts.receiverSide ?? "eth0";
  const dir = await Deno.makeTempDir({ prefix: "mcast-proxy-frr-" });
  const logs: { name: string; lines: string[] }[] = [];
  const lines = () => logs.flatMap((l) => l.lines.map((line) => `${l.name}: ${line}`));
  const running: { name: string; child: Deno.ChildProcess; status: Promise<Deno.CommandStatus> }[] =
    [];
  const vtysh = async (...commands: string[]): Promise<string> => {
    const r = await lab.exec(ns, [
      "vtysh",
      "--vty_socket",
      dir,
      ...commands.flatMap((c) => ["-c", c]),
    ]);
    if (r.code !== 0) {
      throw new Error(
        `"vtysh -c '${commands.join("' -c '")}'" exited ${r.code}: ${
          (r.stderr || r.stdout).trim()
        }`,
      );
    }
    return r.stdout;
  };
  const stop = async () => {
    for (const d of running.reverse()) await stopProcess(d.child, d.status, "SIGTERM");
    running.length = 0;
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  };
  try {
    await Deno.writeTextFile(`${dir}/zebra.conf`, "hostname lab-router\n");
    await Deno.writeTextFile(
      `${dir}/pimd.conf`,
      pimdConfig({
        sourceSide,
        receiverSide,
        debug: opts.debug,
      }),
    );
    // vtysh reads its own configuration file; an empty one keeps it from the system's.
    await Deno.writeTextFile(`${dir}/vtysh.conf`, "");
    // The daemons drop to the package's user, which writes its pid files and sockets here.
    await Deno.chown(dir, await idOf("-u"), await idOf("-g"));
    for (const name of DAEMONS) {
      const child = lab.spawnIn(ns, [
        `${FRR_DAEMONS}/${name}`,
        ...["-f", `${dir}/${name}.conf`, "-i", `${dir}/${name}.pid`],
        ...["-z", `${dir}/zserv.api`, "--vty_socket", dir, "-P", "0"],
        ...["--log", "stdout", "--log-level", opts.debug ? "debugging" : "informational"],
      ], { stdout: "piped", stderr: "piped" });
      const log = followLog(child, name, opts.echo);
      const status = child.status.then(async (s) => {
        await log.closed;
        return s;
      });
      logs.push({ name, lines: log.lines });
      running.push({ name, child, status });
      await waitAnswers(
        name,
        () => vtysh(`show ${name === "zebra" ? "interface brief" : "ip igmp interface"}`),
        status,
      );
    }
    return {
      get lines() {
        return lines();
      },
      vtysh,
      stop,
    };
  } catch (e) {
    const tail = lines().slice(-10).join("\n");
    await stop();
    throw new Error(`Cannot start FRR in "${ns}": ${messageOf(e)}${tail ? `\n${tail}` : ""}`, {
      cause: e,
    });
  }
}

/** Polls `probe` until it succeeds; throws when the daemon exits or 20 s pass. */
async function waitAnswers(
  name: string,
  probe: () => Promise<unknown>,
  status: Promise<Deno.CommandStatus>,
): Promise<void> {
  let exited: Deno.CommandStatus | undefined;
  status.then((s) => exited = s);
  const deadline = performance.now() + scaledWait(20_000);
  let last = "";
  for (;;) {
    if (exited !== undefined) throw new Error(`${name} exited with code ${exited.code}`);
    try {
      await probe();
      return;
    } catch (e) {
      last = messageOf(e);
    }
    if (performance.now() > deadline) throw new Error(`${name} does not answer: ${last}`);
    await sleep(200);
  }
}

/** The version line of the installed zebra, for the test's log. */
export async function frrVersion(): Promise<string> {
  const r = await runCommand(`${FRR_DAEMONS}/zebra`, ["--version"]);
  return r.stdout.split("\n")[0]?.trim() ?? "";
}

/** The uid (`-u`) or gid (`-g`) of the package's `frr` user. */
async function idOf(flag: "-u" | "-g"): Promise<number> {
  const r = await runCommand("id", [flag, "frr"]);
  const n = Number(r.stdout.trim());
  if (r.code !== 0 || !Number.isInteger(n)) {
    throw new Error(`No "frr" user (from the ${FRR_PACKAGE} package): ${r.stderr.trim()}`);
  }
  return n;
}
