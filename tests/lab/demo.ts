/**
 * The live demo (`./run`): builds a namespace lab, runs the real daemon (IPv4 and IPv6), has
 * Linux hosts join and leave groups on a script, and shows every second what the kernel forwards
 * where.
 *
 * @module
 */

import {
  createLab,
  type Lab,
  labSupport,
  parseMr6Cache,
  parseMr6Vif,
  parseMrCache,
  parseMrVif,
  SRC_ADDR6,
  useIgmpV2Hosts,
} from "./lab.ts";
import { Host } from "./host.ts";
import { startSender } from "./sender.ts";
import { ctlArgv, type DaemonProcess, labConfig, startDaemon } from "./daemon.ts";
import { placeOnMulticastKernel } from "../vm/kernel_choice.ts";
import { messageOf } from "../../src/log.ts";

const A = "239.1.1.1";
const B = "239.1.1.2";
/** An IPv6 group, joined by a stock (MLDv2) host. */
const C = "ff05::1:1";
const RATE = 50;

interface Step {
  at: number;
  host: string;
  action: "join" | "leave";
  group: string;
  why: string;
}

const SCRIPT: Step[] = [
  { at: 3, host: "h11", action: "join", group: A, why: "the stream starts on LAN 1 only" },
  { at: 5, host: "h12", action: "join", group: C, why: "IPv6: the stream starts on LAN 1 (MLD)" },
  { at: 7, host: "h21", action: "join", group: B, why: "LAN 2 gets 239.1.1.2, not 239.1.1.1" },
  { at: 11, host: "h12", action: "join", group: A, why: "a second viewer on LAN 1" },
  {
    at: 15,
    host: "h12",
    action: "leave",
    group: A,
    why: "h11 still watches: the proxy asks, h11 answers, LAN 1 keeps the stream",
  },
  { at: 20, host: "h21", action: "join", group: A, why: "now both LANs get 239.1.1.1" },
  {
    at: 24,
    host: "h11",
    action: "leave",
    group: A,
    why: "last viewer on LAN 1: the stream stops there about 2 s later",
  },
  { at: 27, host: "h12", action: "leave", group: C, why: "IPv6: the stream stops ~2 s later" },
  { at: 29, host: "h21", action: "leave", group: B, why: "239.1.1.2 stops on LAN 2" },
  { at: 33, host: "h21", action: "leave", group: A, why: "nobody watches: nothing is forwarded" },
];
const END = 38;
/** When the demo asks the daemon what it knows (`mcast-proxyctl`): every stream flows then. */
const ASK_AT = 22;

const ROLE: Record<string, string> = {};
const enc = new TextEncoder();
// Redraw in place on a terminal, also when the demo runs in the VM for one.
const tty = Deno.stdout.isTerminal() || Deno.env.get("MCAST_PROXY_TTY") === "1";

function out(text: string): void {
  Deno.stdout.writeSync(enc.encode(text));
}

function pad(s: string | number, n: number): string {
  return String(s).padEnd(n);
}

function lpad(s: string | number, n: number): string {
  return String(s).padStart(n);
}

async function frame(opts: {
  lab: Lab;
  t: number;
  hosts: Map<string, Host>;
  joined: Map<string, Set<string>>;
  last: string[];
  daemon: DaemonProcess;
}): Promise<string> {
  const { lab, t, hosts, joined } = opts;
  const vifs = parseMrVif(await lab.readProc(lab.ns.proxy, "/proc/net/ip_mr_vif"));
  const mfc = parseMrCache(await lab.readProc(lab.ns.proxy, "/proc/net/ip_mr_cache"));
  const mfc6 = parseMr6Cache(await lab.readProc(lab.ns.proxy, "/proc/net/ip6_mr_cache"));
  const mifName = new Map(
    parseMr6Vif(await lab.readProc(lab.ns.proxy, "/proc/net/ip6_mr_vif")).map((
      m,
    ) => [m.mif, m.name]),
  );
  const vifName = new Map(vifs.map((v) => [v.vif, v.name]));
  const lines: string[] = [];
  lines.push(
    `mcast-proxy live demo   t = ${lpad(t, 2)} s of ${END}` +
      `   (sender 10.0.0.2 streams ${A} and ${B}, ${SRC_ADDR6} streams ${C}, ${RATE} packets/s each)`,
  );
  lines.push("");
  lines.push("What just happened:");
  for (const l of opts.last.slice(-3)) lines.push(`  ${l}`);
  lines.push("");
  lines.push("Interfaces: the kernel's VIF table (/proc/net/ip_mr_vif)");
  lines.push(
    `  ${pad("VIF", 5)}${pad("name", 6)}${pad("role", 22)}${lpad("packets in", 11)}${
      lpad("packets out", 13)
    }`,
  );
  for (const v of vifs) {
    lines.push(
      `  ${pad(v.vif, 5)}${pad(v.name, 6)}${pad(ROLE[v.name] ?? "", 22)}${lpad(v.pktsIn, 11)}${
        lpad(v.pktsOut, 13)
      }`,
    );
  }
  lines.push("");
  lines.push("Forwarding entries: the kernel's multicast forwarding cache (/proc/net/ip_mr_cache)");
  const resolved = mfc.filter((e) => e.iif >= 0);
  if (resolved.length === 0) lines.push("  (none: nothing is forwarded)");
  else {
    lines.push(
      `  ${pad("source", 11)}${pad("group", 12)}${pad("from", 6)}${pad("to", 12)}${
        lpad("packets", 9)
      }`,
    );
    for (const e of resolved) {
      const to = e.oifs.map((o) => vifName.get(o.vif) ?? `vif${o.vif}`).join(", ");
      lines.push(
        `  ${pad(e.origin, 11)}${pad(e.group, 12)}${pad(vifName.get(e.iif) ?? e.iif, 6)}${
          pad(to, 12)
        }${lpad(e.packets, 9)}`,
      );
    }
  }
  lines.push("");
  lines.push("IPv6 forwarding entries (/proc/net/ip6_mr_cache), learnt with MLD");
  const resolved6 = mfc6.filter((e) => e.iif >= 0);
  if (resolved6.length === 0) lines.push("  (none: nothing is forwarded)");
  for (const e of resolved6) {
    const to = e.oifs.map((o) => mifName.get(o.vif) ?? `mif${o.vif}`).join(", ");
    lines.push(
      `  ${pad(e.origin, 12)}${pad(e.group, 11)}${pad(mifName.get(e.iif) ?? e.iif, 6)}${
        pad(to, 12)
      }${lpad(e.packets, 9)}`,
    );
  }
  lines.push("");
  lines.push("Hosts: what each Linux host asked for and received in the last second");
  const now = Host.now();
  for (const [name, host] of hosts) {
    const lan = name[1];
    const groups = [...(joined.get(name) ?? [])];
    const rates = [A, B, C].map((g) => `${g}: ${lpad(host.received(g, now - 1000).length, 3)}/s`);
    lines.push(
      `  ${pad(name, 5)}LAN ${lan}  ${pad(host.addr, 11)} joined ${
        pad(groups.join(", ") || "-", 33)
      }${rates.join("  ")}`,
    );
  }
  lines.push("");
  lines.push("Daemon log (mcast-proxy -d -v), latest lines:");
  const interesting = opts.daemon.lines.filter((l) =>
    !l.includes("own-packet") && !l.includes("Sent general query")
  );
  for (const l of interesting.slice(-6)) lines.push(`  ${l.slice(25)}`);
  return lines.join("\n") + "\n";
}

async function main(): Promise<number> {
  const placed = await placeOnMulticastKernel({
    what: "the demo",
    script: import.meta.url,
    args: Deno.args,
    timeoutSeconds: 600,
  });
  if (placed.run === "done") return placed.code;
  if (placed.args.length > 0) {
    console.error(`The demo takes no arguments but --kernel host|vm, not "${placed.args[0]}"`);
    return 2;
  }
  const support = await labSupport();
  if (!support.ok) {
    console.error(`The demo builds network namespaces and needs root: ${support.reason}`);
    return 1;
  }
  try {
    return await runDemo();
  } catch (e) {
    console.error(`The demo failed: ${messageOf(e)}`);
    return 1;
  }
}

/** Runs this checkout's mcast-proxyctl against the daemon; its output, or its error. */
async function ctl(daemon: DaemonProcess, args: string[]): Promise<string> {
  const [cmd, ...argv] = ctlArgv(daemon.controlSocket!, args);
  const r = await new Deno.Command(cmd, { args: argv, stdin: "null" }).output();
  const decode = (b: Uint8Array) => new TextDecoder().decode(b);
  return r.success ? decode(r.stdout) : `(exit ${r.code}) ${decode(r.stderr)}`;
}

async function runDemo(): Promise<number> {
  console.log("Building the lab: sender, proxy, LAN 1 (h11, h12), LAN 2 (h21)...");
  await using lab = await createLab({ prefix: "mcpdemo-", hostsPerLan: [2, 1] });
  ROLE["up0"] = "upstream";
  lab.ifaces.downstream.forEach((dn, i) => ROLE[dn] = `downstream, LAN ${i + 1}`);
  await useIgmpV2Hosts(lab);
  const daemon = await startDaemon(lab, { config: "ipv6 yes\n" + labConfig(lab) });
  await daemon.waitForLine(/info: Started/);
  const sender = await startSender(lab, { groups: [A, B], rate: RATE });
  const sender6 = await startSender(lab, { groups: [C], rate: RATE });
  const hosts = new Map<string, Host>([
    ["h11", await Host.onLan(lab, 1, 1)],
    ["h12", await Host.onLan(lab, 1, 2)],
    ["h21", await Host.onLan(lab, 2, 1)],
  ]);
  const joined = new Map<string, Set<string>>();
  const last = ["mcast-proxy started: upstream up0, downstream dn1 (LAN 1) and dn2 (LAN 2)"];
  const start = performance.now();
  let next = 0;
  let asked = "";
  try {
    for (let t = 0; t <= END; t++) {
      const wait = start + t * 1000 - performance.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      while (next < SCRIPT.length && SCRIPT[next].at <= t) {
        const s = SCRIPT[next++];
        const host = hosts.get(s.host)!;
        const set = joined.get(s.host) ?? new Set();
        if (s.action === "join") {
          await host.join(s.group);
          set.add(s.group);
        } else {
          await host.leave(s.group);
          set.delete(s.group);
        }
        joined.set(s.host, set);
        last.push(
          `t=${t}s ${s.host} ${s.action === "join" ? "joins" : "leaves"} ${s.group}: ${s.why}`,
        );
      }
      const text = await frame({ lab, t, hosts, joined, last, daemon });
      out(tty ? `\x1b[H\x1b[2J${text}` : `\n${text}`);
      if (t === ASK_AT) {
        for (const what of ["groups", "upstream", "forwarding"]) {
          asked += `\n# mcast-proxyctl show ${what}\n${await ctl(daemon, ["show", what])}`;
        }
      }
    }
    // What an operator saw asking the running daemon, while every stream flowed.
    out(`\nAt t=${ASK_AT}s, the daemon was asked:\n${asked}`);
    const { code, ms } = await daemon.stop("SIGTERM");
    const vifs = (await lab.readProc(lab.ns.proxy, "/proc/net/ip_mr_vif")).trim().split("\n");
    const mfc = (await lab.readProc(lab.ns.proxy, "/proc/net/ip_mr_cache")).trim().split("\n");
    const mifs = (await lab.readProc(lab.ns.proxy, "/proc/net/ip6_mr_vif")).trim().split("\n");
    const mfc6 = (await lab.readProc(lab.ns.proxy, "/proc/net/ip6_mr_cache")).trim().split("\n");
    out(
      `\nSIGTERM: the daemon exited with code ${code} after ${ms.toFixed(0)} ms.\n` +
        `Kernel tables afterwards: ${vifs.length - 1} VIFs, ${
          mfc.length - 1
        } forwarding entries; IPv6: ${mifs.length - 1} MIFs, ${mfc6.length - 1} entries.\n`,
    );
    const empty = [vifs, mfc, mifs, mfc6].every((table) => table.length === 1);
    return code === 0 && empty ? 0 : 1;
  } finally {
    for (const h of hosts.values()) await h.close();
    await sender.stop();
    await sender6.stop();
    await daemon.stop().catch(() => {});
    console.log("Lab torn down.");
  }
}

Deno.exit(await main());
