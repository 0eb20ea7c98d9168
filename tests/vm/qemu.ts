/**
 * The QEMU command line of the test VM, and the files that tell its init what to run. Pure.
 *
 * The VM has no network, no disk and no display: the kernel and initramfs come from files, the
 * host's root is shared read-only over virtio-9p (tag `hostroot`), the run's control folder
 * (tag `ctl`) and every writable folder (tags `rw0`, `rw1`, ...) read-write, and the serial
 * console goes to a log file. `-no-reboot` with the kernel's `panic=-1` makes any crash end QEMU.
 *
 * @module
 */

/** A folder shared with the guest, mounted there at the same path. */
export interface Share {
  /** The 9p mount tag (at most 31 bytes). */
  tag: string;
  /** The host folder. */
  path: string;
  /** Read-only in the guest. */
  readonly: boolean;
}

/** What {@link qemuArgv} starts. */
export interface QemuPlan {
  /** Hardware virtualization (`/dev/kvm` usable) or software emulation. */
  accel: "kvm" | "tcg";
  /** Virtual CPUs. */
  cpus: number;
  /** Memory in MiB. */
  memoryMiB: number;
  /** Kernel image. */
  kernel: string;
  /** Initramfs (cpio). */
  initrd: string;
  /** File the serial console is written to. */
  console: string;
  /** Folders shared with the guest. */
  shares: Share[];
}

/** The kernel command line: console on the serial port, quiet, and power off on a panic. */
export const KERNEL_CMDLINE = [
  "console=ttyS0",
  "quiet",
  "loglevel=4",
  "panic=-1",
  // A throwaway guest with only our own code: no CPU side-channel mitigations, which cost
  // much under emulation.
  "mitigations=off",
  "random.trust_cpu=on",
  "rdinit=/init",
].join(" ");

/**
 * The machine, accelerator and CPU model of the test VM: also what the KVM probe boots, so that
 * it tries KVM exactly as the VM will use it.
 */
export function machineArgv(accel: "kvm" | "tcg"): string[] {
  return [
    ...["-nodefaults", "-no-user-config", "-machine", "q35"],
    ...["-accel", accel === "tcg" ? "tcg,thread=multi" : "kvm"],
    ...["-cpu", accel === "kvm" ? "host" : "max"],
  ];
}

/** The QEMU (`qemu-system-x86_64`) arguments for a plan. */
export function qemuArgv(plan: QemuPlan): string[] {
  for (const s of plan.shares) {
    if (new TextEncoder().encode(s.tag).length > 31) throw new Error(`9p tag too long: ${s.tag}`);
    if (s.path.includes(",")) throw new Error(`A shared path cannot contain a comma: ${s.path}`);
  }
  return [
    ...machineArgv(plan.accel),
    "-smp",
    String(plan.cpus),
    "-m",
    String(plan.memoryMiB),
    "-display",
    "none",
    "-monitor",
    "none",
    "-serial",
    `file:${plan.console}`,
    "-no-reboot",
    "-kernel",
    plan.kernel,
    "-initrd",
    plan.initrd,
    "-append",
    KERNEL_CMDLINE,
    "-device",
    "virtio-rng-pci",
    ...plan.shares.flatMap((s, i) => [
      "-fsdev",
      `local,id=fs${i},path=${s.path},security_model=none,multidevs=remap` +
      (s.readonly ? ",readonly=on" : ""),
      "-device",
      `virtio-9p-pci,fsdev=fs${i},mount_tag=${s.tag}`,
    ]),
  ];
}

/** Quotes a string for a POSIX shell. */
export function shellQuote(s: string): string {
  return `'${s.replaceAll("'", `'\\''`)}'`;
}

/**
 * `vm.env`, sourced by the guest's init: the control folder's path (`VM_CTL_PATH`) and the
 * guest path of each writable share (`VM_RW0`, `VM_RW1`, ... for tags `rw0`, `rw1`, ...).
 */
export function vmEnv(ctlPath: string, writable: readonly string[]): string {
  return [
    `VM_CTL_PATH=${shellQuote(ctlPath)}`,
    ...writable.map((p, i) => `VM_RW${i}=${shellQuote(p)}`),
  ].join("\n") + "\n";
}

/**
 * `run.sh`, the guest's command: in `cwd`, with exactly `env` as its environment (busybox's
 * `env -i`), `argv` replaces the shell.
 */
export function runScript(
  opts: { argv: string[]; cwd: string; env: Record<string, string> },
): string {
  if (opts.argv.length === 0) throw new Error("The VM needs a command to run");
  const env = Object.entries(opts.env).map(([k, v]) => {
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(k)) throw new Error(`Bad environment variable name: ${k}`);
    return shellQuote(`${k}=${v}`);
  });
  return [
    `cd ${shellQuote(opts.cwd)} || exit 125`,
    `exec /run/vm/busybox env -i ${[...env, ...opts.argv.map(shellQuote)].join(" ")}`,
  ].join("\n") + "\n";
}
