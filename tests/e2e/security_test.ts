// End to end, what the running daemon can open: every thread is under the syscall filter; after
// start, SIGUSR1 and SIGHUP it holds only the sockets it needs, none listening but its control
// socket (a Unix socket), no TCP (the runtime's SIGUSR1 debugger is refused its socket), SIGUSR1
// opens none at all; the dump is logged and forwarding goes on; joins on a LAN added by the
// reload, leaves and SIGTERM still work. Run with the pinned Deno and with the newest on npm;
// under -v the kernel's audit log names the refused socket(). A daemon in which a debugger
// already listens (--inspect) refuses to start. A probe under the same filter shows what it
// refuses (TCP, a program run, a namespace) and keeps (the daemon's sockets). Needs root;
// skipped otherwise.

import { deepStrictEqual, equal, ok } from "node:assert/strict";
import { createLab, denoBin, denoRunArgv, type Lab, labSupport, SRC_ADDR } from "../lab/lab.ts";
import { Host } from "../lab/host.ts";
import { startSender } from "../lab/sender.ts";
import { DAEMON_PERMISSIONS, type DaemonProcess, MAIN_TS, startDaemon } from "../lab/daemon.ts";
import { DAEMON_V8_FLAGS } from "../../scripts/daemon_flags.ts";
import { entryOf, eventually, logged, stopClean, vifs } from "../lab/kernel_state.ts";
import { describeSockets, processSockets, type SocketInfo } from "../lab/sockets.ts";
import { type DenoRuntime, newestDeno } from "../lab/newest_deno.ts";
import type { ProbeReport } from "../lab/filter_probe.ts";
import { syscallArch } from "../../ffi/seccomp_filter.ts";
import { listeningPorts, threadSeccompModes } from "../../ffi/seccomp.ts";

const PREFIX = "mcpse-";
const G1 = "239.1.1.1";
const G2 = "239.2.2.2";
/** The first Deno that opens its debugger on SIGUSR1. */
const SIGUSR1_DEBUGGER_SINCE = [2, 9, 2];

/** True when Deno `version` (x.y.z) has the SIGUSR1 debugger. */
function hasSigusr1Debugger(version: string): boolean {
  const v = version.split(/[.-]/).slice(0, 3).map(Number);
  for (let i = 0; i < 3; i++) {
    if (v[i] !== SIGUSR1_DEBUGGER_SINCE[i]) return v[i] > SIGUSR1_DEBUGGER_SINCE[i];
  }
  return true;
}

const support = await labSupport();
if (!support.ok) console.log(`SKIPPED security e2e tests: ${support.reason}`);

/** True when the kernel was booted with its audit off: no seccomp lines to look for. */
async function auditOff(): Promise<boolean> {
  return /(^|\s)audit=0(\s|$)/.test(await Deno.readTextFile("/proc/cmdline"));
}

/** The kernel's audit lines of seccomp refusals (type=1326) for process `pid`, from dmesg. */
async function kernelAudit(pid: number): Promise<string[]> {
  const r = await new Deno.Command("dmesg", { stdout: "piped", stderr: "piped" }).output();
  const text = new TextDecoder().decode(r.stdout);
  return text.split("\n").filter((l) => l.includes("type=1326") && l.includes(` pid=${pid} `));
}

/**
 * The sockets the daemon needs, and only those: checked after start and after each signal. The
 * one that listens is its control socket, a Unix socket at `control`.
 */
function checkSockets(sockets: readonly SocketInfo[], when: string, control: string): void {
  const kinds = describeSockets(sockets);
  const say = `${when}: ${kinds.join(", ")}`;
  // A socket in no table was never bound (the upstream membership sockets): nothing can reach it.
  const listening = sockets.filter((s) => s.listening);
  deepStrictEqual(
    listening.map((s) => `${s.table}:${s.local}`),
    [`unix:${control}`],
    `what listens, ${say}`,
  );
  ok(!sockets.some((s) => s.table === "tcp" || s.table === "tcp6"), `a TCP socket, ${say}`);
  ok(!sockets.some((s) => s.table === "packet"), `a packet socket, ${say}`);
  // The multicast routing socket (raw IGMP) and the link and address news (netlink).
  ok(kinds.includes("raw:2"), `no IGMP socket, ${say}`);
  ok(kinds.some((k) => k.startsWith("netlink:")), `no netlink socket, ${say}`);
}

/** What listens on TCP in the proxy's namespace, from any process (the debugger above all). */
async function listenersInNamespace(lab: Lab): Promise<string[]> {
  const out: string[] = [];
  for (const table of ["/proc/net/tcp", "/proc/net/tcp6"]) {
    const text = await lab.readProc(lab.ns.proxy, table).catch(() => "");
    for (const port of listeningPorts(text)) out.push(`${table} port ${port}`);
  }
  return out;
}

/** Sends `signal`, waits for `done` in the lines logged after it; the lines from the signal on. */
async function signalAndWait(
  daemon: DaemonProcess,
  signal: Deno.Signal,
  done: RegExp,
): Promise<string[]> {
  const from = daemon.lines.length;
  Deno.kill(daemon.child.pid, signal);
  await eventually(
    `${signal}: ${done}`,
    () => Promise.resolve(daemon.lines.slice(from).some((l) => done.test(l))),
  );
  return daemon.lines.slice(from);
}

/** The upstream and LANs 1 to `lans` downstream. */
function configWith(lab: Lab, lans: number): string {
  return [
    `interface ${lab.ifaces.upstream} { upstream }`,
    ...lab.ifaces.downstream.slice(0, lans).map((dn) => `interface ${dn} { downstream }`),
  ].join("\n") + "\n";
}

/** The whole signal check with one Deno. */
async function signalCheck(deno: DenoRuntime): Promise<void> {
  await using lab = await createLab({ prefix: PREFIX, hostsPerLan: [1, 1] });
  const daemon = await startDaemon(lab, { config: configWith(lab, 1), deno: deno.bin });
  await daemon.waitForLine(/info: Running as "nobody"/);
  const pid = daemon.child.pid;
  const filterLine = logged(daemon, "info").find((l) => l.startsWith("Syscall filter on for all"));
  ok(filterLine?.includes("no TCP"), daemon.lines.join("\n"));

  // Every thread, the runtime's own included, runs under the filter.
  const modes = threadSeccompModes(pid);
  ok(modes.size >= 2, `threads: ${[...modes.keys()]}`);
  deepStrictEqual([...new Set(modes.values())], [2], `Seccomp: per thread ${[...modes]}`);

  const sender = await startSender(lab, { groups: [G1, G2], rate: 100 });
  await using h11 = await Host.onLan(lab, 1, 1);
  const t0 = await h11.join(G1);
  await h11.waitFor(G1, { since: t0, count: 20 });
  const atStart = await processSockets(pid);
  checkSockets(atStart, "after start", daemon.controlSocket!);
  console.log(`  Deno ${deno.version}: ${modes.size} threads; sockets ${describeSockets(atStart)}`);

  // SIGUSR1: the dump, and the runtime's debugger refused its socket.
  const dump = await signalAndWait(daemon, "SIGUSR1", /info: Memory: /);
  ok(dump.some((l) => l.endsWith("info: Virtual Interface Table")), dump.join("\n"));
  // The runtime tried to open its debugger inside the daemon, and the filter refused it the
  // TCP socket: it says so on stderr, which the lab reads with the log.
  const refused = await eventually(
    "the runtime to give up its debugger",
    () => Promise.resolve(daemon.lines.some((l) => l.includes("Failed to start inspector"))),
    2000,
  ).then(() => true, () => false);
  if (hasSigusr1Debugger(deno.version)) {
    ok(refused, `Deno ${deno.version} opened no debugger and said nothing:\n${dump.join("\n")}`);
    // The daemon runs with -v: the kernel's audit log names the refused socket() (41 on x86_64).
    if (!await auditOff()) {
      const nr = syscallArch(Deno.build.arch)?.nr.socket;
      const audit = await kernelAudit(pid);
      ok(audit.some((l) => l.includes(` syscall=${nr} `)), `audit of ${pid}:\n${audit.join("\n")}`);
    }
  } else {
    console.log(`  Deno ${deno.version} has no debugger on SIGUSR1 (refused: ${refused})`);
  }
  deepStrictEqual(await listenersInNamespace(lab), [], "nothing listens after SIGUSR1");
  const afterUsr1 = await processSockets(pid);
  checkSockets(afterUsr1, "after SIGUSR1", daemon.controlSocket!);
  deepStrictEqual(describeSockets(afterUsr1), describeSockets(atStart), "SIGUSR1 opened nothing");
  const t1 = Host.now();
  await h11.waitFor(G1, { since: t1, count: 20 });

  // SIGHUP: a reload that adds LAN 2; a host there joins and receives.
  await daemon.rewrite(configWith(lab, 2));
  await signalAndWait(daemon, "SIGHUP", /info: Reloaded the configuration/);
  ok(await daemon.waitForLine(/info: Interface "dn2" appeared: downstream/));
  const afterHup = await processSockets(pid);
  checkSockets(afterHup, "after SIGHUP", daemon.controlSocket!);
  deepStrictEqual(await listenersInNamespace(lab), [], "nothing listens after SIGHUP");
  await using h21 = await Host.onLan(lab, 2, 1);
  const t2 = await h21.join(G2);
  await h21.waitFor(G2, { since: t2, count: 20 });
  deepStrictEqual((await entryOf(lab, SRC_ADDR, G2))?.oifs, ["dn2:1"]);

  // A leave still ends the stream on its LAN.
  await h21.leave(G2);
  await eventually("the leave to empty the entry", async () => {
    const e = await entryOf(lab, SRC_ADDR, G2);
    return e === undefined || e.oifs.length === 0;
  });
  await sender.stop();
  ok(!logged(daemon, "warn").length, daemon.lines.join("\n"));
  deepStrictEqual(
    describeSockets(await processSockets(pid)).filter((k) => k.startsWith("tcp")),
    [],
    "no TCP socket at the end",
  );
  await stopClean(lab, daemon);
}

Deno.test({
  name: "e2e security: with the pinned Deno, signals open nothing and every thread is filtered",
  ignore: !support.ok,
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    await signalCheck({ version: Deno.version.deno, bin: denoBin(), pinned: true });
  },
});

Deno.test({
  name: "e2e security: with the newest Deno on npm, signals open nothing either",
  ignore: !support.ok,
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const newest = await newestDeno((m) => console.log(`  ${m}`));
    if (newest.pinned) {
      console.log(`  the newest deno on npm is the pinned ${newest.version}: checked above`);
      equal(newest.version, Deno.version.deno);
      return;
    }
    await signalCheck(newest);
  },
});

Deno.test({
  name: "e2e security: a debugger already listening at start (--inspect) stops the daemon",
  ignore: !support.ok,
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    await using lab = await createLab({ prefix: PREFIX, hostsPerLan: [1] });
    const program = [
      denoBin(),
      "run",
      "--no-check",
      "--inspect=127.0.0.1:9230",
      ...DAEMON_PERMISSIONS,
      DAEMON_V8_FLAGS,
      MAIN_TS,
    ];
    const daemon = await startDaemon(lab, { config: configWith(lab, 1), program });
    const { code } = await daemon.status;
    equal(code, 1, daemon.lines.join("\n"));
    ok(
      daemon.lines.some((l) => /fatal: The daemon listens on TCP port 9230 /.test(l)),
      daemon.lines.join("\n"),
    );
    ok(!daemon.lines.some((l) => l.includes("info: Started")), "nothing was set up");
    deepStrictEqual(await vifs(lab), [], "no VIF");
  },
});

Deno.test({
  name: "e2e security: under the daemon's filter TCP and execve are refused, its sockets are not",
  ignore: !support.ok,
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    await using lab = await createLab({ prefix: PREFIX, hostsPerLan: [1] });
    const probe = new URL("../lab/filter_probe.ts", import.meta.url);
    const r = await lab.exec(lab.ns.proxy, denoRunArgv(probe, ["--log"], ["--allow-all"]));
    equal(r.code, 0, r.stderr);
    const report = JSON.parse(r.stdout) as ProbeReport;
    console.log(`  ${JSON.stringify(report)}`);
    ok(report.threads[1] > report.threads[0], "a worker thread started after the filter");
    deepStrictEqual([...new Set(report.modes)], [2], "every thread, the new one too");
    const { calls } = report;
    for (const refused of ["tcp4", "tcp6", "packet", "unshare"]) {
      equal(calls[refused], "EPERM", refused);
    }
    for (const kept of ["udp4", "udp6", "rawIgmp", "rawIcmp6", "netlink", "unixStream"]) {
      equal(calls[kept], "ok", kept);
    }
    ok(/Operation not permitted/.test(calls.denoListen), calls.denoListen);
    ok(/Operation not permitted/.test(calls.execve), calls.execve);
    deepStrictEqual(await listenersInNamespace(lab), []);
    // As under -v: the kernel's audit log names each refused call by its number.
    const arch = syscallArch(Deno.build.arch);
    ok(arch !== undefined, Deno.build.arch);
    if (await auditOff()) {
      console.log(`  the kernel's audit is off (audit=0 in /proc/cmdline): no lines to check`);
      return;
    }
    const audit = await kernelAudit(report.pid);
    console.log(`  audit: ${audit.length} lines, e.g. ${audit[0]}`);
    ok(audit.some((l) => l.includes(` syscall=${arch.nr.socket} `)), audit.join("\n"));
  },
});
