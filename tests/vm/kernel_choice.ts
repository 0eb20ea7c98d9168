/**
 * Where the end-to-end tests, the demo and the benchmarks run: on this machine's kernel when it
 * has IPv4 and IPv6 multicast routing, otherwise in the test VM on Debian's kernel, or nowhere
 * (with the one reason why). `--kernel host|vm` or `MCAST_PROXY_KERNEL=host|vm` forces one.
 *
 * @module
 */

import { denoBin, labSupport, pathExists } from "../lab/lab.ts";
import { CHECKOUT, type PreparedVm, prepareVm, runInVm } from "./vm.ts";
import { messageOf } from "../../src/log.ts";

/** The environment variable that forces where: `host` or `vm`. */
export const KERNEL_ENV = "MCAST_PROXY_KERNEL";

/** What this machine's running kernel offers the lab. */
export interface HostKernel {
  /** `uname -r`. */
  release: string;
  /** IPv4 multicast routing (`CONFIG_IP_MROUTE`: `/proc/net/ip_mr_vif` exists). */
  ipv4: boolean;
  /** IPv6 multicast routing (`CONFIG_IPV6_MROUTE`: `/proc/net/ip6_mr_vif` exists). */
  ipv6: boolean;
}

/** Where to run. */
export type KernelChoice =
  | { where: "host"; release: string }
  | { where: "vm"; vm: PreparedVm; why: string }
  | { where: "none"; why: string };

/** Reads what the running kernel has. */
export async function hostKernel(): Promise<HostKernel> {
  return {
    release: Deno.osRelease(),
    ipv4: await pathExists("/proc/net/ip_mr_vif"),
    ipv6: await pathExists("/proc/net/ip6_mr_vif"),
  };
}

/** What the host kernel lacks, in words, or undefined when it has both families. */
export function missingRouting(k: HostKernel): string | undefined {
  const missing = [
    ...(k.ipv4 ? [] : ["IPv4 (CONFIG_IP_MROUTE)"]),
    ...(k.ipv6 ? [] : ["IPv6 (CONFIG_IPV6_MROUTE)"]),
  ];
  return missing.length === 0
    ? undefined
    : `this machine's kernel ${k.release} has no ${missing.join(" or ")} multicast routing`;
}

/**
 * Takes `--kernel host|vm` (or `--kernel=...`) out of `args`; without it, `env` (the value of
 * `MCAST_PROXY_KERNEL`). Throws on another value.
 */
export function kernelFlag(
  args: readonly string[],
  env: string | undefined,
): { force: "host" | "vm" | undefined; rest: string[] } {
  const rest: string[] = [];
  let value: string | undefined = env === "" ? undefined : env;
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (a === "--kernel") {
      if (i + 1 >= args.length) throw new Error("--kernel needs a value: host or vm");
      value = args[++i];
    } else if (a.startsWith("--kernel=")) value = a.slice("--kernel=".length);
    else rest.push(a);
  }
  if (value !== undefined && value !== "host" && value !== "vm") {
    throw new Error(`--kernel takes host or vm, not "${value}"`);
  }
  return { force: value, rest };
}

/**
 * Chooses where: the host when forced or when its kernel has multicast routing for both
 * families and the lab can be built; else the VM when it can run; else nowhere, with the
 * reasons. `log` hears about installations and downloads for the VM.
 */
export async function chooseKernel(
  force: "host" | "vm" | undefined,
  log: (message: string) => void,
): Promise<KernelChoice> {
  const host = await hostKernel();
  if (force === "host") return { where: "host", release: host.release };
  const lacking = missingRouting(host);
  if (force === undefined && lacking === undefined) {
    const lab = await labSupport();
    if (lab.ok) return { where: "host", release: host.release };
    // Not root, or no namespaces: the VM cannot help with the first, may with the second.
    if (Deno.uid() !== 0) return { where: "none", why: lab.reason };
  }
  const why = force === "vm" ? "--kernel vm" : lacking ?? "the lab cannot be built here";
  const vm = await prepareVm({ log });
  if (vm.ok) return { where: "vm", vm: vm.vm, why };
  return { where: "none", why: `${why}, and the test VM cannot run: ${vm.reason}` };
}

/** Options of {@link placeOnMulticastKernel}. */
export interface PlaceOptions {
  /** What runs, for messages: "the demo", "the benchmarks". */
  what: string;
  /** The script to run again in the VM (`import.meta.url`). */
  script: string;
  /** Its arguments, `--kernel` included or not. */
  args: readonly string[];
  /** Fetch what the guest cannot (igmpproxy, esbuild) before the VM starts. */
  prefetch?: (log: (message: string) => void) => Promise<void>;
  /** Stop the VM after this many seconds. */
  timeoutSeconds?: number;
  /** Folders outside the checkout it writes to, shared writable with the guest (created first). */
  writes?: string[];
}

/**
 * For a program that needs a kernel with multicast routing (the demo, the benchmarks), called
 * first thing: resolves to `{ run: "here", args }` (the arguments without `--kernel`) when it
 * should go on in this process, else runs it again in the VM, saying so in one line, and
 * resolves to `{ run: "done", code }` with its exit status; when it can run nowhere, says why
 * in one line and resolves to code 1. A bad `--kernel` is one line and code 2.
 */
export async function placeOnMulticastKernel(
  opts: PlaceOptions,
): Promise<{ run: "here"; args: string[] } | { run: "done"; code: number }> {
  let flag: ReturnType<typeof kernelFlag>;
  try {
    flag = kernelFlag(opts.args, Deno.env.get(KERNEL_ENV));
  } catch (e) {
    console.error(messageOf(e));
    return { run: "done", code: 2 };
  }
  const log = (m: string) => console.error(`setup: ${m}`);
  const choice = await chooseKernel(flag.force, log);
  if (choice.where === "host") return { run: "here", args: flag.rest };
  if (choice.where === "none") {
    console.error(`Cannot run ${opts.what}: ${choice.why}`);
    return { run: "done", code: 1 };
  }
  const { vm } = choice;
  try {
    await opts.prefetch?.(log);
  } catch (e) {
    console.error(`Cannot run ${opts.what} in the VM: ${messageOf(e)}`);
    return { run: "done", code: 1 };
  }
  console.log(
    `Running ${opts.what} in a VM on Debian's kernel ${vm.kernel.release} ` +
      `(${vm.accel.toUpperCase()}, ${vm.cpus} vCPU), because ${choice.why}.`,
  );
  const script = opts.script.startsWith("file:")
    ? decodeURIComponent(new URL(opts.script).pathname)
    : opts.script;
  const writable = [CHECKOUT];
  for (const dir of opts.writes ?? []) {
    await Deno.mkdir(dir, { recursive: true });
    writable.push(await Deno.realPath(dir));
  }
  const r = await runInVm(vm, {
    argv: [denoBin(), "run", "--allow-all", "--no-prompt", script, ...flag.rest],
    cwd: Deno.cwd(),
    writable,
    env: Deno.stdout.isTerminal() ? { MCAST_PROXY_TTY: "1" } : {},
    ...(opts.timeoutSeconds !== undefined ? { timeoutSeconds: opts.timeoutSeconds } : {}),
  });
  if (r.error !== undefined) console.error(r.error);
  return { run: "done", code: r.code };
}
