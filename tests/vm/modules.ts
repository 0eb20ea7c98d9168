/**
 * What the test VM's initramfs needs to know about kernel modules and binaries, read from their
 * bytes (the host has no kmod tools to ask): a module's name from its file name, the modules it
 * depends on from its `.modinfo` section, the order to load them in, and whether an ELF
 * executable is static (it will run in an initramfs without a C library). Pure.
 *
 * @module
 */

/** The modules the test VM loads, besides their dependencies. */
export const GUEST_MODULES: readonly string[] = [
  // The shares and the root: virtio PCI, 9p over virtio, overlayfs.
  "virtio_pci",
  "9pnet_virtio",
  "9p",
  "overlay",
  // Entropy for the guest, at once.
  "virtio_rng",
  // The lab: veth pairs and bridges.
  "veth",
  "bridge",
  // Tunnels (DVMRP later); loading it also proves the lab copes with `tunl0` in every namespace.
  "ipip",
  // nftables, for the doctor's firewall test (its expressions and the ip family are built in).
  // nf_tables needs libcrc32c, which asks the crypto API for crc32c when it loads: the guest has
  // no modprobe to load that on demand, so it comes first.
  "crc32c_generic",
  "nf_tables",
  // `quota`, a module of its own: the DVMRP prune test loses exactly one Prune with it.
  "nft_quota",
  // Socket listings for `ss`.
  "tcp_diag",
  "udp_diag",
  "raw_diag",
  "unix_diag",
];

/** The kernel's name of a module file: `virtio-rng.ko` → `virtio_rng`. */
export function moduleName(file: string): string {
  const base = file.slice(file.lastIndexOf("/") + 1);
  return base.replace(/\.ko(\.(xz|zst|gz))?$/, "").replaceAll("-", "_");
}

/**
 * The modules a module depends on, from the `depends=` string of its `.modinfo` section (a NUL
 * separated list of `key=value` strings in the `.ko` file). Empty when it depends on none.
 */
export function modinfoDepends(ko: Uint8Array): string[] {
  const needle = new TextEncoder().encode("\0depends=");
  const at = indexOf(ko, needle);
  if (at < 0) return [];
  const start = at + needle.length;
  let end = start;
  while (end < ko.length && ko[end] !== 0) end++;
  const list = new TextDecoder().decode(ko.subarray(start, end));
  return list.split(",").filter((m) => m !== "").map(moduleName);
}

function indexOf(haystack: Uint8Array, needle: Uint8Array): number {
  const first = needle[0];
  outer: for (let i = haystack.indexOf(first); i >= 0; i = haystack.indexOf(first, i + 1)) {
    if (i + needle.length > haystack.length) return -1;
    for (let k = 1; k < needle.length; k++) if (haystack[i + k] !== needle[k]) continue outer;
    return i;
  }
  return -1;
}

/**
 * The order to load `wanted` and everything they depend on: dependencies first, each module
 * once, otherwise in the order asked. Throws on a module `dependsOf` does not know (it returns
 * `undefined`) and on a dependency cycle.
 */
export function loadOrder(
  wanted: readonly string[],
  dependsOf: (name: string) => readonly string[] | undefined,
): string[] {
  const order: string[] = [];
  const state = new Map<string, "visiting" | "done">();
  const visit = (name: string, path: string[]) => {
    const seen = state.get(name);
    if (seen === "done") return;
    if (seen === "visiting") {
      throw new Error(`Module dependency cycle: ${[...path, name].join(" → ")}`);
    }
    const deps = dependsOf(name);
    if (deps === undefined) {
      const via = path.length > 0 ? ` (needed by ${path[path.length - 1]})` : "";
      throw new Error(`No module "${name}" in the kernel package${via}`);
    }
    state.set(name, "visiting");
    for (const d of deps) visit(d, [...path, name]);
    state.set(name, "done");
    order.push(name);
  };
  for (const w of wanted) visit(moduleName(w), []);
  return order;
}

const PT_INTERP = 3;

/**
 * Whether a 64-bit little-endian ELF executable is static: it has no `PT_INTERP` program header
 * naming a dynamic loader. Throws when the bytes are not such an ELF file.
 */
export function isStaticElf(bytes: Uint8Array): boolean {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const isElf = bytes.length >= 64 && bytes[0] === 0x7f && bytes[1] === 0x45 &&
    bytes[2] === 0x4c && bytes[3] === 0x46;
  if (!isElf || bytes[4] !== 2 || bytes[5] !== 1) {
    throw new Error("Not a 64-bit little-endian ELF file");
  }
  const phoff = Number(view.getBigUint64(32, true));
  const phentsize = view.getUint16(54, true);
  const phnum = view.getUint16(56, true);
  if (phoff + phentsize * phnum > bytes.length) throw new Error("Truncated ELF program headers");
  for (let i = 0; i < phnum; i++) {
    if (view.getUint32(phoff + i * phentsize, true) === PT_INTERP) return false;
  }
  return true;
}
