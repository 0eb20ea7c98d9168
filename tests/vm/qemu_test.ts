import { deepStrictEqual, equal, ok, throws } from "node:assert/strict";
import { KERNEL_CMDLINE, qemuArgv, runScript, shellQuote, vmEnv } from "./qemu.ts";

const PLAN = {
  accel: "tcg" as const,
  cpus: 2,
  memoryMiB: 8192,
  kernel: "/c/vmlinuz",
  initrd: "/t/initrd.cpio",
  console: "/t/console.log",
  shares: [
    { tag: "hostroot", path: "/", readonly: true },
    { tag: "rw0", path: "/work/main", readonly: false },
  ],
};

/** The value after each occurrence of a flag. */
function values(argv: string[], flag: string): string[] {
  return argv.flatMap((a, i) => a === flag ? [argv[i + 1]] : []);
}

Deno.test("qemuArgv: emulation, no network or display, console to a file, shares", () => {
  const argv = qemuArgv(PLAN);
  ok(argv.includes("-nodefaults"), "no default NIC, VGA or serial");
  ok(argv.includes("-no-reboot"), "a panic ends QEMU");
  deepStrictEqual(values(argv, "-accel"), ["tcg,thread=multi"]);
  deepStrictEqual(values(argv, "-cpu"), ["max"]);
  deepStrictEqual(values(argv, "-smp"), ["2"]);
  deepStrictEqual(values(argv, "-m"), ["8192"]);
  deepStrictEqual(values(argv, "-serial"), ["file:/t/console.log"]);
  deepStrictEqual(values(argv, "-append"), [KERNEL_CMDLINE]);
  deepStrictEqual(values(argv, "-fsdev"), [
    "local,id=fs0,path=/,security_model=none,multidevs=remap,readonly=on",
    "local,id=fs1,path=/work/main,security_model=none,multidevs=remap",
  ]);
  deepStrictEqual(values(argv, "-device"), [
    "virtio-rng-pci",
    "virtio-9p-pci,fsdev=fs0,mount_tag=hostroot",
    "virtio-9p-pci,fsdev=fs1,mount_tag=rw0",
  ]);
  ok(KERNEL_CMDLINE.includes("panic=-1") && KERNEL_CMDLINE.includes("console=ttyS0"));
});

Deno.test("qemuArgv: KVM uses the host's CPU", () => {
  const argv = qemuArgv({ ...PLAN, accel: "kvm" });
  deepStrictEqual(values(argv, "-accel"), ["kvm"]);
  deepStrictEqual(values(argv, "-cpu"), ["host"]);
});

Deno.test("qemuArgv refuses what QEMU's option syntax cannot carry", () => {
  throws(
    () => qemuArgv({ ...PLAN, shares: [{ tag: "a", path: "/a,b", readonly: true }] }),
    /comma/,
  );
  throws(
    () => qemuArgv({ ...PLAN, shares: [{ tag: "t".repeat(32), path: "/", readonly: true }] }),
    /tag too long/,
  );
});

Deno.test("shellQuote, vmEnv and runScript quote what the guest's shell reads", () => {
  equal(shellQuote("it's"), `'it'\\''s'`);
  equal(vmEnv("/tmp/ctl", ["/work/my dir"]), "VM_CTL_PATH='/tmp/ctl'\nVM_RW0='/work/my dir'\n");
  equal(
    runScript({
      argv: ["/bin/deno", "test", "a b"],
      cwd: "/work",
      env: { A: "x y", NO_COLOR: "1" },
    }),
    "cd '/work' || exit 125\n" +
      "exec /run/vm/busybox env -i 'A=x y' 'NO_COLOR=1' '/bin/deno' 'test' 'a b'\n",
  );
  throws(() => runScript({ argv: [], cwd: "/", env: {} }), /needs a command/);
  throws(
    () => runScript({ argv: ["x"], cwd: "/", env: { "A-B": "1" } }),
    /Bad environment variable/,
  );
});
