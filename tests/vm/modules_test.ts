import { deepStrictEqual, equal, throws } from "node:assert/strict";
import { isStaticElf, loadOrder, modinfoDepends, moduleName } from "./modules.ts";

const bytes = (s: string) => new TextEncoder().encode(s);

Deno.test("moduleName: the kernel's name of a module file", () => {
  equal(moduleName("drivers/char/hw_random/virtio-rng.ko"), "virtio_rng");
  equal(moduleName("9pnet_virtio.ko"), "9pnet_virtio");
  equal(moduleName("net/bridge/bridge.ko.xz"), "bridge");
  equal(moduleName("llc"), "llc");
});

Deno.test("modinfoDepends reads depends= from the .modinfo strings", () => {
  // As in bridge.ko of Linux 6.1: NUL-separated key=value strings among other bytes.
  const ko = bytes("\x7fELF\0\0license=GPL\0depends=llc,stp\0retpoline=Y\0intree=Y\0");
  deepStrictEqual(modinfoDepends(ko), ["llc", "stp"]);
  deepStrictEqual(modinfoDepends(bytes("\0license=GPL\0depends=\0intree=Y\0")), []);
  deepStrictEqual(modinfoDepends(bytes("\0license=GPL\0")), []);
  // A dash in a dependency's name is the kernel's underscore.
  deepStrictEqual(modinfoDepends(bytes("\0depends=virtio-ring\0")), ["virtio_ring"]);
  // "depends=" not at the start of a string is not the key.
  deepStrictEqual(modinfoDepends(bytes("\0xdepends=foo\0")), []);
});

const DEPS: Record<string, string[]> = {
  // As Linux 6.1's modules declare them.
  virtio_pci: ["virtio_ring", "virtio_pci_modern_dev", "virtio_pci_legacy_dev", "virtio"],
  virtio_pci_modern_dev: [],
  virtio_pci_legacy_dev: [],
  virtio: [],
  virtio_ring: [],
  "9pnet_virtio": ["virtio", "9pnet", "virtio_ring"],
  "9pnet": [],
  bridge: ["llc", "stp"],
  stp: ["llc"],
  llc: [],
  veth: [],
};

Deno.test("loadOrder puts dependencies first, each module once", () => {
  deepStrictEqual(loadOrder(["virtio_pci", "9pnet_virtio", "bridge", "veth"], (n) => DEPS[n]), [
    "virtio_ring",
    "virtio_pci_modern_dev",
    "virtio_pci_legacy_dev",
    "virtio",
    "virtio_pci",
    "9pnet",
    "9pnet_virtio",
    "llc",
    "stp",
    "bridge",
    "veth",
  ]);
});

Deno.test("loadOrder names a missing module and who needs it, and refuses cycles", () => {
  throws(() => loadOrder(["bridge"], (n) => n === "bridge" ? ["llc"] : undefined), {
    message: 'No module "llc" in the kernel package (needed by bridge)',
  });
  throws(() => loadOrder(["nope"], () => undefined), {
    message: 'No module "nope" in the kernel package',
  });
  throws(
    () => loadOrder(["a"], (n) => (({ a: ["b"], b: ["a"] }) as Record<string, string[]>)[n]),
    { message: "Module dependency cycle: a → b → a" },
  );
});

/** A 64-bit little-endian ELF header with the given program header types. */
function elf(types: number[]): Uint8Array {
  const phoff = 64;
  const b = new Uint8Array(phoff + 56 * types.length);
  const v = new DataView(b.buffer);
  b.set([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1]); // magic, ELFCLASS64, ELFDATA2LSB, EV_CURRENT
  v.setUint16(16, 2, true); // e_type ET_EXEC
  v.setUint16(18, 62, true); // e_machine EM_X86_64
  v.setBigUint64(32, BigInt(phoff), true); // e_phoff
  v.setUint16(54, 56, true); // e_phentsize
  v.setUint16(56, types.length, true); // e_phnum
  types.forEach((t, i) => v.setUint32(phoff + 56 * i, t, true)); // p_type
  return b;
}

Deno.test("isStaticElf: no PT_INTERP is static, PT_INTERP is dynamic, other bytes throw", () => {
  equal(isStaticElf(elf([1, 1, 4])), true); // PT_LOAD, PT_LOAD, PT_NOTE
  equal(isStaticElf(elf([6, 3, 1])), false); // PT_PHDR, PT_INTERP, PT_LOAD
  throws(() => isStaticElf(bytes("#!/bin/sh\n".padEnd(64))), /Not a 64-bit little-endian ELF/);
  throws(() => isStaticElf(elf([1]).subarray(0, 100)), /Truncated/);
});
