/**
 * The test VM's kernel and initramfs: Debian's current `linux-image-amd64` kernel and the
 * static busybox of `busybox-static`, downloaded with `apt-get download` into a cache folder
 * (`.cache/vm/` in the checkout, ignored by git) and reused; only the kernel image and the
 * modules the VM loads ({@link GUEST_MODULES} and their dependencies) are kept from the package,
 * and an older kernel is removed once a newer one is in. The host's installed packages are not
 * touched.
 *
 * @module
 */

import { aptDependency, aptDownload, runCommand } from "../lab/apt.ts";
import { type CpioEntry, encodeCpio } from "./cpio.ts";
import { GUEST_MODULES, isStaticElf, loadOrder, modinfoDepends, moduleName } from "./modules.ts";

/** The checkout's cache folder for the VM. */
export const VM_CACHE = decodeURIComponent(new URL("../../.cache/vm", import.meta.url).pathname);

/** The metapackage that names Debian's current kernel. */
export const KERNEL_METAPACKAGE = "linux-image-amd64";

/** The environment variable that picks another kernel package (e.g. a backports one). */
export const KERNEL_PACKAGE_ENV = "MCAST_PROXY_VM_KERNEL";

/** The init script the initramfs runs. */
const INIT_SCRIPT = new URL("./init.sh", import.meta.url);

/** A kernel ready to boot. */
export interface GuestKernel {
  /** The package it came from, e.g. `linux-image-6.1.0-57-amd64`. */
  package: string;
  /** Its release, as `uname -r` prints it in the guest, e.g. `6.1.0-57-amd64`. */
  release: string;
  /** The kernel image. */
  vmlinuz: string;
  /** The modules to load, dependencies first, as paths of `.ko` files. */
  modules: string[];
  /** A static busybox for the initramfs. */
  busybox: string;
}

interface Stamp {
  package: string;
  release: string;
  wanted: string[];
  order: string[];
}

async function readStamp(dir: string): Promise<Stamp | undefined> {
  try {
    return JSON.parse(await Deno.readTextFile(`${dir}/ready.json`)) as Stamp;
  } catch {
    return undefined;
  }
}

function sameList(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

/** Extracts a `.deb` into `dir` with dpkg (present on every Debian system). */
async function extractDeb(deb: string, dir: string): Promise<void> {
  const r = await runCommand("dpkg-deb", ["-x", deb, dir]);
  if (r.code !== 0) throw new Error(`Cannot extract ${deb}: ${r.stderr.trim()}`);
}

/** Every file under `dir` whose name ends with `.ko`, by module name. */
async function indexModules(dir: string): Promise<Map<string, string>> {
  const found = new Map<string, string>();
  const walk = async (d: string): Promise<void> => {
    for await (const e of Deno.readDir(d)) {
      if (e.isDirectory) await walk(`${d}/${e.name}`);
      else if (e.isFile && /\.ko(\.(xz|zst|gz))?$/.test(e.name)) {
        found.set(moduleName(e.name), `${d}/${e.name}`);
      }
    }
  };
  await walk(dir);
  return found;
}

/** Downloads the kernel package and keeps its image and the modules the VM loads. */
async function fetchKernel(pkg: string, dir: string): Promise<void> {
  const work = `${VM_CACHE}/tmp-${Deno.pid}`;
  await Deno.remove(work, { recursive: true }).catch(() => {});
  await Deno.mkdir(work, { recursive: true });
  try {
    const deb = await aptDownload(pkg, work);
    await extractDeb(deb, `${work}/x`);
    let release: string | undefined;
    for await (const e of Deno.readDir(`${work}/x/boot`)) {
      const m = /^vmlinuz-(.+)$/.exec(e.name);
      if (m !== null) release = m[1];
    }
    if (release === undefined) throw new Error(`No /boot/vmlinuz-* in ${pkg}`);
    const modules = await indexModules(`${work}/x/lib/modules/${release}`);
    const order = loadOrder(GUEST_MODULES, (name) => {
      const path = modules.get(name);
      if (path !== undefined && !path.endsWith(".ko")) {
        throw new Error(
          `${pkg} ships ${name} compressed (${path}): busybox's insmod cannot load it`,
        );
      }
      return path === undefined ? undefined : modinfoDepends(Deno.readFileSync(path));
    });
    const staging = `${work}/out`;
    await Deno.mkdir(`${staging}/modules`, { recursive: true });
    await Deno.copyFile(`${work}/x/boot/vmlinuz-${release}`, `${staging}/vmlinuz`);
    for (const name of order) {
      await Deno.copyFile(modules.get(name)!, `${staging}/modules/${name}.ko`);
    }
    const stamp: Stamp = { package: pkg, release, wanted: [...GUEST_MODULES], order };
    await Deno.writeTextFile(`${staging}/ready.json`, JSON.stringify(stamp, null, 2) + "\n");
    await Deno.remove(dir, { recursive: true }).catch(() => {});
    await Deno.rename(staging, dir);
  } finally {
    await Deno.remove(work, { recursive: true }).catch(() => {});
  }
}

/** The newest kernel already in the cache with the modules the VM loads, if any. */
async function newestCached(): Promise<string | undefined> {
  const names: string[] = [];
  try {
    for await (const e of Deno.readDir(VM_CACHE)) {
      const stamp = e.isDirectory && e.name.startsWith("linux-image-")
        ? await readStamp(`${VM_CACHE}/${e.name}`)
        : undefined;
      if (stamp !== undefined && sameList(stamp.wanted, GUEST_MODULES)) names.push(e.name);
    }
  } catch {
    return undefined;
  }
  return names.sort((a, b) => a.localeCompare(b, "en", { numeric: true })).at(-1);
}

/** Removes the cached kernels other than `keep` (older ones, once a new one is in). */
async function pruneKernels(keep: string): Promise<void> {
  for await (const e of Deno.readDir(VM_CACHE)) {
    if (e.isDirectory && e.name.startsWith("linux-image-") && e.name !== keep) {
      await Deno.remove(`${VM_CACHE}/${e.name}`, { recursive: true }).catch(() => {});
    }
  }
}

/** The static busybox from `busybox-static`, downloaded once into the cache. */
async function fetchBusybox(): Promise<string> {
  const path = `${VM_CACHE}/busybox-static/busybox`;
  try {
    if (isStaticElf(await Deno.readFile(path))) return path;
  } catch {
    // Not there yet, or not a usable file: fetch it again.
  }
  const work = `${VM_CACHE}/tmp-bb-${Deno.pid}`;
  await Deno.mkdir(work, { recursive: true });
  try {
    const deb = await aptDownload("busybox-static", work);
    await extractDeb(deb, `${work}/x`);
    const bin = `${work}/x/bin/busybox`;
    if (!isStaticElf(await Deno.readFile(bin))) {
      throw new Error("busybox-static's /bin/busybox is not a static executable");
    }
    await Deno.mkdir(`${VM_CACHE}/busybox-static`, { recursive: true });
    await Deno.copyFile(bin, `${path}.tmp`);
    await Deno.chmod(`${path}.tmp`, 0o755);
    await Deno.rename(`${path}.tmp`, path);
    return path;
  } finally {
    await Deno.remove(work, { recursive: true }).catch(() => {});
  }
}

/**
 * Makes sure a kernel and a busybox are in the cache and returns them: the package that
 * {@link KERNEL_PACKAGE_ENV} names, else the one {@link KERNEL_METAPACKAGE} depends on today;
 * without package lists (offline), the newest cached one. `log` hears about each download.
 * Throws with the reason when there is none.
 */
export async function prepareGuestKernel(log: (message: string) => void): Promise<GuestKernel> {
  await Deno.mkdir(VM_CACHE, { recursive: true });
  let pkg = Deno.env.get(KERNEL_PACKAGE_ENV) ||
    await aptDependency(KERNEL_METAPACKAGE, /^linux-image-\d/);
  if (pkg === undefined) {
    pkg = await newestCached();
    if (pkg === undefined) {
      throw new Error(
        `apt does not know ${KERNEL_METAPACKAGE} (no package lists?) and no kernel is cached in ${VM_CACHE}`,
      );
    }
  }
  const dir = `${VM_CACHE}/${pkg}`;
  let stamp = await readStamp(dir);
  if (stamp === undefined || !sameList(stamp.wanted, GUEST_MODULES)) {
    log(`downloading ${pkg} for the test VM into ${VM_CACHE}`);
    await fetchKernel(pkg, dir);
    stamp = await readStamp(dir);
    if (stamp === undefined) throw new Error(`Cannot read ${dir}/ready.json after the download`);
    await pruneKernels(pkg);
  }
  const busybox = await fetchBusybox();
  return {
    package: stamp.package,
    release: stamp.release,
    vmlinuz: `${dir}/vmlinuz`,
    modules: stamp.order.map((name) => `${dir}/modules/${name}.ko`),
    busybox,
  };
}

/**
 * The initramfs for a kernel: busybox, the modules and the list of them in load order, the init
 * script as `/init`, and `/dev/console` for its first output. Uncompressed.
 */
export async function buildInitramfs(kernel: GuestKernel): Promise<Uint8Array> {
  const dirs = ["bin", "dev", "etc", "lib", "lib/modules", "proc", "sys", "run", "tmp"];
  const entries: CpioEntry[] = dirs.map((path) => ({ kind: "dir", path, mode: 0o755 }));
  entries.push({ kind: "char", path: "dev/console", mode: 0o600, major: 5, minor: 1 });
  entries.push({
    kind: "file",
    path: "bin/busybox",
    mode: 0o755,
    data: await Deno.readFile(kernel.busybox),
  });
  entries.push({ kind: "symlink", path: "bin/sh", target: "busybox" });
  const names: string[] = [];
  for (const path of kernel.modules) {
    const name = moduleName(path);
    names.push(name);
    entries.push({
      kind: "file",
      path: `lib/modules/${name}.ko`,
      mode: 0o644,
      data: await Deno.readFile(path),
    });
  }
  const text = new TextEncoder();
  entries.push({
    kind: "file",
    path: "etc/modules",
    mode: 0o644,
    data: text.encode(names.join("\n") + "\n"),
  });
  entries.push({ kind: "file", path: "init", mode: 0o755, data: await Deno.readFile(INIT_SCRIPT) });
  return encodeCpio(entries);
}
