/**
 * The test VM: runs a command of this checkout on Debian's own kernel in QEMU, for the tests,
 * the demo and the benchmarks on hosts whose kernel has no multicast routing.
 *
 * The guest sees the host's root read-only under a tmpfs overlay, so it runs the same Deno,
 * tools and checkout; the folders the caller names (and the checkout, by default) are shared
 * writable at their own paths, so what the command writes there is on the host afterwards. The
 * command's output (stdout and stderr, merged) is streamed to the caller while it runs; the
 * guest's console goes to a log file and is shown only when the guest ends without an exit
 * status. The guest has no network: fetch what the command needs before.
 *
 * @example
 * ```ts
 * const vm = await prepareVm({ log: console.error });
 * if (vm.ok) {
 *   const r = await runInVm(vm.vm, { argv: ["uname", "-r"] });
 *   Deno.exit(r.code);
 * }
 * ```
 *
 * @module
 */

import { aptInstall } from "../lab/apt.ts";
import { WAIT_SCALE_ENV } from "../lab/wait_scale.ts";
import { buildInitramfs, type GuestKernel, prepareGuestKernel } from "./kernel.ts";
import { machineArgv, qemuArgv, type QemuPlan, runScript, type Share, vmEnv } from "./qemu.ts";
import { messageOf } from "../../src/log.ts";

/** The checkout, shared writable with the guest by default. */
export const CHECKOUT = decodeURIComponent(new URL("../..", import.meta.url).pathname)
  .replace(/\/$/, "");

const QEMU = "qemu-system-x86_64";
const QEMU_PACKAGE = "qemu-system-x86";

/** Set to `kvm` or `tcg` to skip the KVM probe and run the VM so. */
export const ACCEL_ENV = "MCAST_PROXY_VM_ACCEL";

/** A VM ready to run commands. */
export interface PreparedVm {
  /** The guest kernel. */
  kernel: GuestKernel;
  /** How QEMU runs it. */
  accel: "kvm" | "tcg";
  /** Virtual CPUs: one per host core. */
  cpus: number;
  /** Guest memory in MiB. */
  memoryMiB: number;
}

/** Result of {@link prepareVm}. */
export type VmSupport = { ok: true; vm: PreparedVm } | { ok: false; reason: string };

/** What {@link runInVm} runs. */
export interface VmCommand {
  /** The command and its arguments. */
  argv: string[];
  /** Working directory in the guest (default the checkout). */
  cwd?: string;
  /**
   * Its whole environment, besides `PATH` and `HOME` (ours: the guest finds Deno's cache where
   * we do), `LANG`, `DENO_NO_UPDATE_CHECK`, `NO_COLOR` (the output is a file),
   * `MCAST_PROXY_KERNEL=host` (nothing in the guest starts another VM) and, under emulation,
   * `MCAST_PROXY_WAIT_SCALE`, which it may override; `CI`, `DENO_DIR`, `DENO_BIN` and
   * `XDG_CACHE_HOME` are passed on when set.
   */
  env?: Record<string, string>;
  /** Host folders the guest may write, at the same paths (default: the checkout). */
  writable?: string[];
  /** Stop the guest after this many seconds (default 3600). */
  timeoutSeconds?: number;
  /** Receives the command's output as it comes (default: our stdout). */
  output?: (chunk: Uint8Array) => void;
}

/** How a run in the VM ended. */
export interface VmResult {
  /**
   * The command's exit status; when the guest ended without one (a crash, the time limit, a
   * signal to us), non-zero and {@link VmResult.error} says why.
   */
  code: number;
  /** Why the guest ended without the command's status. */
  error?: string;
  /** Seconds from QEMU's start to its end. */
  seconds: number;
}

/** How long a kernel under KVM may take to print its first line before KVM is judged broken. */
const KVM_PROBE_SECONDS = 15;

/**
 * Whether KVM really runs the guest kernel: `/dev/kvm` opens, and the kernel, booted under KVM
 * with the CPU model the VM uses, prints its banner within {@link KVM_PROBE_SECONDS}. Nested
 * KVM can open `/dev/kvm` and still fail: QEMU aborting on an MSR it cannot set, or a guest
 * that hangs before its first line. `reason` says why not, for the log.
 */
async function probeKvm(kernel: GuestKernel): Promise<{ ok: boolean; reason: string }> {
  try {
    const f = await Deno.open("/dev/kvm", { read: true, write: true });
    f.close();
  } catch (e) {
    return { ok: false, reason: `/dev/kvm: ${messageOf(e)}` };
  }
  const dir = await Deno.makeTempDir({ prefix: "mcast-proxy-kvm-probe-" });
  try {
    const consoleLog = `${dir}/console.log`;
    const qemu = new Deno.Command(QEMU, {
      args: [
        ...machineArgv("kvm"),
        ...["-m", "256", "-display", "none", "-monitor", "none"],
        ...["-serial", `file:${consoleLog}`, "-no-reboot", "-kernel", kernel.vmlinuz],
        ...["-append", "console=ttyS0 panic=-1"],
      ],
      stdin: "null",
      stdout: "null",
      stderr: "piped",
    }).spawn();
    const stderr = new Response(qemu.stderr).text();
    let exited = false;
    const status = qemu.status.finally(() => exited = true);
    const end = performance.now() + KVM_PROBE_SECONDS * 1000;
    let booted = false;
    while (!exited && performance.now() < end) {
      if (/Linux version/.test((await readText(consoleLog)) ?? "")) {
        booted = true;
        break;
      }
      await new Promise((r) => setTimeout(r, 100));
    }
    try {
      qemu.kill("SIGKILL");
    } catch {
      // Already gone.
    }
    await status;
    if (booted) return { ok: true, reason: "" };
    const said = (await stderr).trim().split("\n")[0];
    return {
      ok: false,
      reason: said
        ? `QEMU under KVM: ${said}`
        : `no kernel banner under KVM in ${KVM_PROBE_SECONDS} s`,
    };
  } finally {
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  }
}

async function onPath(cmd: string): Promise<boolean> {
  const r = await new Deno.Command("sh", {
    args: ["-c", `command -v ${cmd}`],
    stdout: "null",
    stderr: "null",
  }).output();
  return r.success;
}

let prepared: Promise<VmSupport> | undefined;

/**
 * Gets the VM ready once per process: QEMU (Debian's `qemu-system-x86`, installed when
 * missing), the kernel and busybox (downloaded into the cache when missing). Resolves to the
 * reason when it cannot: not Linux on x86_64, not root, nothing to install from.
 * `log` hears about each installation and download.
 */
export function prepareVm(opts: { log: (message: string) => void }): Promise<VmSupport> {
  prepared ??= prepare(opts.log);
  return prepared;
}

async function prepare(log: (message: string) => void): Promise<VmSupport> {
  if (Deno.build.os !== "linux" || Deno.build.arch !== "x86_64") {
    return { ok: false, reason: `the test VM runs on Linux x86_64, this is ${Deno.build.target}` };
  }
  if (Deno.uid() !== 0) {
    return { ok: false, reason: `the test VM needs root, running as uid ${Deno.uid()}` };
  }
  try {
    if (!await onPath(QEMU)) {
      log(`installing ${QEMU_PACKAGE} for the test VM`);
      await aptInstall([QEMU_PACKAGE]);
    }
    const kernel = await prepareGuestKernel(log);
    const cpus = Math.max(1, navigator.hardwareConcurrency || 1);
    const hostMiB = Math.floor(Deno.systemMemoryInfo().total / 2 ** 20);
    const memoryMiB = Math.max(1024, Math.min(8192, Math.floor(hostMiB / 2)));
    let accel: "kvm" | "tcg" = "tcg";
    const forced = Deno.env.get(ACCEL_ENV);
    if (forced === "kvm" || forced === "tcg") accel = forced;
    else {
      const kvm = await probeKvm(kernel);
      if (kvm.ok) accel = "kvm";
      else if (!kvm.reason.startsWith("/dev/kvm")) log(`KVM unusable (${kvm.reason}): emulating`);
    }
    return { ok: true, vm: { kernel, accel, cpus, memoryMiB } };
  } catch (e) {
    return { ok: false, reason: messageOf(e) };
  }
}

/** How much longer the tests' waits may take under emulation: processes start 10–20× slower. */
const TCG_WAIT_SCALE = 3;

/** The guest environment of a command. */
function guestEnv(vm: PreparedVm, extra: Record<string, string>): Record<string, string> {
  const env: Record<string, string> = {
    PATH: Deno.env.get("PATH") ?? "/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin",
    HOME: Deno.env.get("HOME") ?? "/root",
    LANG: "C.UTF-8",
    DENO_NO_UPDATE_CHECK: "1",
    NO_COLOR: "1",
    MCAST_PROXY_KERNEL: "host",
  };
  // Waits for state get longer timeouts under emulation (tests/lab/wait_scale.ts).
  if (vm.accel === "tcg") env[WAIT_SCALE_ENV] = String(TCG_WAIT_SCALE);
  for (const k of ["CI", "DENO_DIR", "DENO_BIN", "XDG_CACHE_HOME"]) {
    const v = Deno.env.get(k);
    if (v !== undefined) env[k] = v;
  }
  return { ...env, ...extra };
}

/** Copies what was appended to `path` since `offset` to `output`; returns the new offset. */
async function follow(
  path: string,
  offset: number,
  output: (chunk: Uint8Array) => void,
): Promise<number> {
  let file: Deno.FsFile;
  try {
    file = await Deno.open(path, { read: true });
  } catch {
    return offset;
  }
  try {
    await file.seek(offset, Deno.SeekMode.Start);
    const buf = new Uint8Array(64 * 1024);
    for (;;) {
      const n = await file.read(buf);
      if (n === null || n === 0) return offset;
      output(buf.slice(0, n));
      offset += n;
    }
  } finally {
    file.close();
  }
}

/** Writes all of a chunk to our stdout (a pipe may take part of it at a time). */
function writeOut(chunk: Uint8Array): void {
  for (let at = 0; at < chunk.length;) at += Deno.stdout.writeSync(chunk.subarray(at));
}

async function readText(path: string): Promise<string | undefined> {
  try {
    return await Deno.readTextFile(path);
  } catch {
    return undefined;
  }
}

/** The last lines of the guest's console, for an error. */
async function consoleTail(path: string, lines = 20): Promise<string> {
  const text = (await readText(path)) ?? "";
  return text.split("\n").filter((l) => l.trim() !== "").slice(-lines).join("\n");
}

/**
 * Runs a command in a fresh VM and resolves when the VM is gone. Nothing of the guest is kept
 * but what it wrote to the writable folders. SIGINT, SIGTERM and SIGHUP to us stop the guest
 * (the result says so); the caller decides how to exit.
 */
export async function runInVm(vm: PreparedVm, cmd: VmCommand): Promise<VmResult> {
  const writable = [...(cmd.writable ?? [CHECKOUT])];
  for (const w of writable) {
    if (!(await Deno.stat(w)).isDirectory) throw new Error(`Not a folder: ${w}`);
  }
  const output = cmd.output ?? writeOut;
  const ctl = await Deno.makeTempDir({ prefix: "mcast-proxy-vm-" });
  let keep = false;
  try {
    const initrd = `${ctl}/initrd.cpio`;
    await Deno.writeFile(initrd, await buildInitramfs(vm.kernel));
    await Deno.writeTextFile(`${ctl}/vm.env`, vmEnv(ctl, writable));
    await Deno.writeTextFile(
      `${ctl}/run.sh`,
      runScript({ argv: cmd.argv, cwd: cmd.cwd ?? CHECKOUT, env: guestEnv(vm, cmd.env ?? {}) }),
    );
    const shares: Share[] = [
      { tag: "hostroot", path: "/", readonly: true },
      { tag: "ctl", path: ctl, readonly: false },
      ...writable.map((path, i) => ({ tag: `rw${i}`, path, readonly: false })),
    ];
    const plan: QemuPlan = {
      accel: vm.accel,
      cpus: vm.cpus,
      memoryMiB: vm.memoryMiB,
      kernel: vm.kernel.vmlinuz,
      initrd,
      console: `${ctl}/console.log`,
      shares,
    };
    const started = performance.now();
    const qemu = new Deno.Command(QEMU, {
      args: qemuArgv(plan),
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    const qemuOutput = qemu.output();

    let stoppedBy: string | undefined;
    const stop = (why: string) => {
      stoppedBy ??= why;
      try {
        qemu.kill("SIGTERM");
      } catch {
        // Already gone.
      }
    };
    const signals: Deno.Signal[] = ["SIGINT", "SIGTERM", "SIGHUP"];
    const handlers = signals.map((s) => {
      const h = () => stop(`The VM was stopped by ${s}`);
      Deno.addSignalListener(s, h);
      return [s, h] as const;
    });
    const limit = cmd.timeoutSeconds ?? 3600;
    const timer = setTimeout(
      () => stop(`stopped after the time limit of ${limit} s`),
      limit * 1000,
    );

    let offset = 0;
    let done = false;
    const exited = qemuOutput.finally(() => done = true);
    try {
      while (!done) {
        offset = await follow(`${ctl}/out`, offset, output);
        await Promise.race([exited, new Promise((r) => setTimeout(r, 200))]);
      }
      await follow(`${ctl}/out`, offset, output);
    } finally {
      clearTimeout(timer);
      for (const [s, h] of handlers) Deno.removeSignalListener(s, h);
    }
    const q = await qemuOutput;
    const seconds = (performance.now() - started) / 1000;

    const status = (await readText(`${ctl}/status`))?.trim();
    if (stoppedBy === undefined && status !== undefined && /^\d+$/.test(status)) {
      return { code: Number(status), seconds };
    }
    keep = true;
    const initError = (await readText(`${ctl}/init-error`))?.trim();
    const qemuErr = new TextDecoder().decode(q.stderr).trim();
    const why = stoppedBy ??
      (initError
        ? `The VM's init failed: ${initError}`
        : "The VM ended without the command's exit status");
    const details = [
      qemuErr !== "" ? `QEMU said: ${qemuErr}` : "",
      `The guest's console (${ctl}/console.log) ends:\n${await consoleTail(`${ctl}/console.log`)}`,
    ].filter((s) => s !== "").join("\n");
    return {
      code: stoppedBy?.startsWith("The VM was stopped by") ? 130 : 1,
      error: `${why}\n${details}`,
      seconds,
    };
  } finally {
    if (!keep) await Deno.remove(ctl, { recursive: true }).catch(() => {});
  }
}
