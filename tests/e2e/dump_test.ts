// End to end, the SIGUSR1 dump: the real daemon with `ipv6 yes` in a namespace lab, an IPv4 and
// an IPv6 stream from upstream, a LAN host that joins both; then SIGUSR1, and the dump it logs
// is checked against the kernel's own tables (/proc/net/ip_mr_vif, ip_mr_cache and their IPv6
// counterparts). Needs root and a kernel with IPv6 multicast routing; skipped otherwise.

import { deepStrictEqual, equal, ok } from "node:assert/strict";
import { createLab, mldLabSupport, SRC_ADDR, SRC_ADDR6 } from "../lab/lab.ts";
import { Host } from "../lab/host.ts";
import { startSender } from "../lab/sender.ts";
import { type DaemonProcess, labConfig, startDaemon } from "../lab/daemon.ts";
import {
  cache,
  cache6,
  entryOf,
  entryOf6,
  escapeRegExp,
  eventually,
  logged,
  mifs6,
  stopClean,
  vifs,
} from "../lab/kernel_state.ts";

const PREFIX = "mcpdu-";
const G4 = "239.1.1.1";
const G6 = "ff05::1";
/** Hop limit of the IPv6 stream: enough to cross the proxy. */
const HOPS = 5;

const support = await mldLabSupport();
if (!support.ok) console.log(`SKIPPED dump e2e test: ${support.reason}`);

/** One VIF's row of a dump and the detail lines under it. */
interface DumpVif {
  /** The row. */
  row: string;
  /** The lines under it, trimmed. */
  details: string[];
}

/** One family's dump as logged: its interface table by interface name, and the cache rows. */
interface Dump {
  /** The interface table's title. */
  title: string;
  /** The table's header. */
  header: string;
  /** The VIFs by interface name. */
  vifs: Map<string, DumpVif>;
  /** The cache table's title. */
  cacheTitle: string;
  /** The cache rows, split at blanks. */
  entries: string[][];
}

/**
 * The dump of one family among the daemon's info lines from line `from` on: `prefix` is the
 * family's log prefix (`""` or `"IPv6: "`). Throws when the lines are not a dump.
 */
function parseDump(lines: string[], prefix: string): Dump {
  const mine = lines.flatMap((l) => {
    if (prefix === "") return l.startsWith("IPv6: ") ? [] : [l];
    return l.startsWith(prefix) ? [l.slice(prefix.length)] : [];
  });
  const start = mine.findIndex((l) => /^(Virtual|Multicast) Interface Table$/.test(l));
  ok(start >= 0, `no interface table:\n${lines.join("\n")}`);
  const [title, header] = [mine[start], mine[start + 1]];
  const cacheAt = mine.findIndex((l, i) => i > start && l.startsWith("Multicast Routing Cache"));
  ok(cacheAt > start, `no cache table:\n${lines.join("\n")}`);
  const dumpVifs = new Map<string, DumpVif>();
  let current: DumpVif | undefined;
  for (const line of mine.slice(start + 2, cacheAt)) {
    // A row: the number, two blanks, the name; detail lines have a label or an address there.
    const row = /^\s+\d+\s{2}(\S+)\s/.exec(line);
    if (row !== null) {
      current = { row: line, details: [] };
      dumpVifs.set(row[1], current);
    } else {
      ok(current !== undefined, `a detail line before any row: "${line}"`);
      current.details.push(line.trim());
    }
  }
  const entries: string[][] = [];
  for (const line of mine.slice(cacheAt + 2)) {
    if (!line.startsWith(" ")) break; // the next section
    entries.push(line.trim().split(/\s+/));
  }
  return { title, header, vifs: dumpVifs, cacheTitle: mine[cacheAt], entries };
}

/** The info lines the daemon logged from line `from` on, without timestamp and level. */
function infoSince(daemon: DaemonProcess, from: number): string[] {
  const tag = " info: ";
  return daemon.lines.slice(from).flatMap((l) => {
    const i = l.indexOf(tag);
    return i < 0 ? [] : [l.slice(i + tag.length)];
  });
}

/** The counters line of a VIF's block, as the dump writes it. */
function counterLines(c: { pktsIn: number; bytesIn: number; pktsOut: number; bytesOut: number }) {
  return [
    `pkts in: ${c.pktsIn} (${c.bytesIn} bytes)`,
    `pkts out: ${c.pktsOut} (${c.bytesOut} bytes)`,
  ];
}

/** Sends SIGUSR1 and returns the info lines logged for it. */
async function dumpOnce(daemon: DaemonProcess): Promise<string[]> {
  const from = daemon.lines.length;
  Deno.kill(daemon.child.pid, "SIGUSR1");
  // Both planes dump in the same loop round: the IPv6 cache table's title comes last but one.
  // Both planes dump in the same loop round, then the process's memory: the last line.
  await eventually(
    "the end of the dump",
    () => Promise.resolve(infoSince(daemon, from).some((l) => l.startsWith("Memory: "))),
  );
  return infoSince(daemon, from);
}

Deno.test({
  name: "e2e SIGUSR1: the interface and cache tables of both families, as the kernel counts",
  ignore: !support.ok,
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    await using lab = await createLab({ prefix: PREFIX, hostsPerLan: [1, 1] });
    const daemon = await startDaemon(lab, { config: "ipv6 yes\n" + labConfig(lab) });
    await daemon.waitForLine(/info: Started/);
    const sender4 = await startSender(lab, { groups: [G4], rate: 100 });
    const sender6 = await startSender(lab, { groups: [G6], rate: 100, ttl: HOPS });
    await using h11 = await Host.onLan(lab, 1, 1);
    const t0 = Host.now();
    await h11.join(G4);
    await h11.join(G6);
    await Promise.all([
      h11.waitFor(G4, { since: t0, count: 50, timeoutMs: 3000 }),
      h11.waitFor(G6, { since: t0, count: 50, timeoutMs: 3000 }),
    ]);
    deepStrictEqual(await entryOf(lab, SRC_ADDR, G4), { iif: "up0", oifs: ["dn1:1"] });
    deepStrictEqual(await entryOf6(lab, SRC_ADDR6, G6), { iif: "up0", oifs: ["dn1:1"] });
    // Stop the streams so that the counters stand still between the dump and /proc.
    await sender4.stop();
    await sender6.stop();
    const tables = () => Promise.all([vifs(lab), cache(lab), mifs6(lab), cache6(lab)]);
    let last = "";
    await eventually("the kernel's counters to stand still", async () => {
      const now = JSON.stringify(await tables());
      const still = now === last;
      last = now;
      return still;
    });
    const [kvifs, kcache, kmifs, kcache6] = await tables();
    const lines = await dumpOnce(daemon);
    console.log(lines.map((l) => `  | ${l}`).join("\n"));
    equal(lines.filter((l) => l === "Virtual Interface Table").length, 1, "one dump per signal");

    // IPv4
    const d4 = parseDump(lines, "");
    equal(d4.title, "Virtual Interface Table");
    ok(/^ Vif\s+Interface\s+Local-Address\s+Subnet\s+Thresh\s+Flags$/.test(d4.header), d4.header);
    deepStrictEqual([...d4.vifs.keys()], ["up0", "dn1", "dn2"]);
    const dn1 = d4.vifs.get("dn1")!;
    ok(
      /^\s+1\s+dn1\s+10\.1\.0\.1\s+10\.1\.0\.0\/24\s+1\s+downstream querier$/.test(dn1.row),
      dn1.row,
    );
    ok(dn1.details.some((d) => d.startsWith(`groups: ${G4} `)), dn1.details.join("\n"));
    ok(d4.vifs.get("up0")!.details.includes(`joined: ${G4}`));
    ok(/\s+upstream$/.test(d4.vifs.get("up0")!.row));
    ok(!d4.vifs.get("dn2")!.details.some((l) => l.startsWith("groups:")), "no groups on dn2");
    for (const k of kvifs) {
      const v = d4.vifs.get(k.name);
      ok(v !== undefined, `VIF ${k.vif} "${k.name}" in the dump`);
      ok(v.row.trimStart().startsWith(`${k.vif} `), v.row);
      for (const c of counterLines(k)) {
        ok(v.details.includes(c), `${k.name}: "${c}" in ${v.details}`);
      }
    }
    ok(kvifs.find((k) => k.name === "dn1")!.pktsOut >= 50, "dn1 forwarded the stream");
    equal(d4.cacheTitle, "Multicast Routing Cache Table (1 entry)");
    equal(d4.entries.length, 1);
    const [origin, group, _age, pkts, bytes, iif, ...oifs] = d4.entries[0];
    deepStrictEqual([origin, group, iif, oifs], [SRC_ADDR, G4, "0", ["1"]]);
    const k4 = kcache.find((e) => e.origin === SRC_ADDR && e.group === G4)!;
    deepStrictEqual([Number(pkts), Number(bytes)], [k4.packets, k4.bytes], "as ip_mr_cache counts");

    // IPv6
    const d6 = parseDump(lines, "IPv6: ");
    equal(d6.title, "Multicast Interface Table");
    ok(/^ Mif\s+Interface\s+Local-Address\s+Subnet\s+Flags$/.test(d6.header), d6.header);
    const mif1 = d6.vifs.get("dn1")!;
    const ll = await lab.linkLocal(lab.ns.proxy, "dn1");
    ok(
      new RegExp(`^\\s+1\\s+dn1\\s+${escapeRegExp(ll)}\\s+\\S+/64\\s+downstream querier$`)
        .test(mif1.row),
      mif1.row,
    );
    ok(mif1.details.some((d) => d.startsWith(`groups: ${G6} `)), mif1.details.join("\n"));
    ok(d6.vifs.get("up0")!.details.includes(`joined: ${G6}`));
    for (const k of kmifs) {
      const m = d6.vifs.get(k.name);
      ok(m !== undefined, `MIF ${k.mif} "${k.name}" in the dump`);
      for (const c of counterLines(k)) {
        ok(m.details.includes(c), `${k.name}: "${c}" in ${m.details}`);
      }
    }
    equal(d6.cacheTitle, "Multicast Routing Cache Table (1 entry)");
    const [o6, g6, _age6, pkts6, bytes6, iif6, ...oifs6] = d6.entries[0];
    deepStrictEqual([o6, g6, iif6, oifs6], [SRC_ADDR6, G6, "0", ["1"]]);
    const k6 = kcache6.find((e) => e.origin === SRC_ADDR6 && e.group === G6)!;
    deepStrictEqual([Number(pkts6), Number(bytes6)], [k6.packets, k6.bytes]);
    ok(lines.every((l) => !/^IPv6: .*\bVIF\b/.test(l)), "MIFs on the IPv6 side");
    // Last, the process's memory; in the jail there is no /proc to read the resident size from.
    ok(
      /^Memory: JavaScript heap \d+\.\d MB used of \d+\.\d MB, \d+\.\d MB outside it$/.test(
        lines.at(-1) ?? "",
      ),
      lines.at(-1),
    );

    ok(!logged(daemon, "warn").length, daemon.lines.join("\n"));
    await stopClean(lab, daemon);
  },
});
