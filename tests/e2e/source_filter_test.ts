// End to end on a real kernel, no multicast routing needed: the Linux OS port's upstream
// memberships with source filters (MCAST_JOIN_SOURCE_GROUP, MCAST_MSFILTER over a pool of
// sockets) as the kernel's host side holds them (/proc/net/mcfilter, mcfilter6, igmp, igmp6)
// and reports them on the wire (IGMPv3 and MLDv2 records captured on the other end of the
// link). Two namespaces joined by a veth pair: `up0` where the port runs (the agent
// tests/lab/source_filter_agent.ts), `eth0` where tcpdump listens. Needs root, iproute2 and
// tcpdump; skipped with the reason printed otherwise.

import { scaledWait } from "../lab/wait_scale.ts";
import { deepStrictEqual, equal, ok } from "node:assert/strict";
import { parseIPv4 } from "../../src/proto/addr.ts";
import { messageOf } from "../../src/log.ts";
import { denoBin } from "../lab/lab.ts";
import { parseEvent, readLines } from "../lab/json_lines.ts";
import { mcfilterLines } from "../lab/kernel_state.ts";

const decoder = new TextDecoder();

async function run(cmd: string, args: string[]): Promise<{ code: number; out: string }> {
  const r = await new Deno.Command(cmd, { args, stdout: "piped", stderr: "piped" }).output();
  return { code: r.code, out: decoder.decode(r.stdout) + decoder.decode(r.stderr) };
}

/** Why this machine cannot run the test, or undefined when it can. */
async function unsupported(): Promise<string | undefined> {
  if (Deno.build.os !== "linux") return `needs Linux, this is ${Deno.build.os}`;
  try {
    if (Deno.uid() !== 0) return `needs root for network namespaces, running as uid ${Deno.uid()}`;
    if ((await run("ip", ["-V"])).code !== 0) return `"ip -V" failed`;
    if ((await run("tcpdump", ["--version"])).code !== 0) return "tcpdump does not run";
  } catch (e) {
    return `needs --allow-all, ip and tcpdump: ${messageOf(e)}`;
  }
  if ((await run("sh", ["-c", "test -d /proc/sys/net/ipv6"])).code !== 0) return "no IPv6";
  return undefined;
}

const skip = await unsupported();
if (skip !== undefined) console.log(`SKIPPED source filter e2e tests: ${skip}`);

/** Two namespaces and a veth pair between them, deleted by `await using`. */
async function makeLink(): Promise<{ a: string; b: string } & AsyncDisposable> {
  const stem = `mcsf-${Deno.pid}-${Math.random().toString(36).slice(2, 6)}`;
  const a = `${stem}-a`;
  const b = `${stem}-b`;
  const must = async (ns: string | undefined, args: string[]) => {
    const r = ns === undefined
      ? await run("ip", args)
      : await run("ip", ["netns", "exec", ns, ...args]);
    if (r.code !== 0) throw new Error(`${args.join(" ")}: ${r.out}`);
  };
  const link = {
    a,
    b,
    async [Symbol.asyncDispose]() {
      await run("ip", ["netns", "del", a]);
      await run("ip", ["netns", "del", b]);
    },
  };
  try {
    await must(undefined, ["netns", "add", a]);
    await must(undefined, ["netns", "add", b]);
    for (const ns of [a, b]) {
      await must(ns, ["sysctl", "-qw", "net.ipv6.conf.all.accept_dad=0"]);
      await must(ns, ["sysctl", "-qw", "net.ipv6.conf.default.accept_dad=0"]);
      await must(ns, ["ip", "link", "set", "lo", "up"]);
    }
    await must(a, ["sysctl", "-qw", "net.ipv4.igmp_max_msf=10"]);
    await must(undefined, [
      "link",
      "add",
      "up0",
      "netns",
      a,
      "type",
      "veth",
      "peer",
      "name",
      "eth0",
      "netns",
      b,
    ]);
    await must(a, ["ip", "addr", "add", "10.0.0.1/24", "dev", "up0"]);
    await must(a, ["ip", "addr", "add", "2001:db8::1/64", "dev", "up0", "nodad"]);
    await must(b, ["ip", "addr", "add", "10.0.0.254/24", "dev", "eth0"]);
    await must(a, ["ip", "link", "set", "up0", "up"]);
    await must(b, ["ip", "link", "set", "eth0", "up"]);
  } catch (e) {
    await link[Symbol.asyncDispose]();
    throw e;
  }
  return link;
}

/** tcpdump on `eth0` of a namespace, its output kept as it comes. */
async function listen(ns: string) {
  const filter = "igmp or (ip6 and ip6[6] == 0 and ip6[40] == 58)";
  const child = new Deno.Command("ip", {
    args: ["netns", "exec", ns, "tcpdump", "-l", "-n", "-vv", "-i", "eth0", filter],
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  let text = "";
  let err = "";
  const listening = Promise.withResolvers<void>();
  (async () => {
    for await (const chunk of child.stderr.pipeThrough(new TextDecoderStream())) {
      err += chunk;
      if (err.includes("listening on")) listening.resolve();
    }
    listening.reject(new Error(`tcpdump exited: ${err}`));
  })();
  const reading = (async () => {
    for await (const chunk of child.stdout.pipeThrough(new TextDecoderStream())) text += chunk;
  })();
  await listening.promise;
  return {
    /** Group records as `gaddr type {sources}` in the order captured, for one group. */
    records(group: string): string[] {
      const re = new RegExp(`\\[gaddr ${group.replaceAll(".", "\\.")} (\\w+) \\{([^}]*)\\}`, "g");
      return [...text.matchAll(re)].map((m) =>
        `${m[1]} {${m[2].trim().split(/\s+/).filter((s) => s).join(" ")}}`
      );
    },
    async waitFor(what: string, test: () => boolean): Promise<void> {
      const end = performance.now() + scaledWait(10_000);
      while (!test()) {
        if (performance.now() > end) throw new Error(`No ${what} captured:\n${text}`);
        await new Promise((r) => setTimeout(r, 20));
      }
    },
    async [Symbol.asyncDispose]() {
      child.kill("SIGTERM");
      await child.status;
      await reading;
    },
  };
}

/** The agent in namespace `ns`: one command, one answer. */
async function startAgent(ns: string) {
  const script = new URL("../lab/source_filter_agent.ts", import.meta.url).pathname;
  const child = new Deno.Command("ip", {
    args: ["netns", "exec", ns, denoBin(), "run", "--no-check", "--allow-all", script, "up0"],
    stdin: "piped",
    stdout: "piped",
    stderr: "inherit",
    env: { DENO_NO_UPDATE_CHECK: "1" },
  }).spawn();
  const lines = readLines(child.stdout);
  const writer = child.stdin.getWriter();
  const next = async () => {
    for (let r = await lines.next(); !r.done; r = await lines.next()) {
      const ev = parseEvent(r.value);
      if (ev !== null) return ev;
    }
    throw new Error("the agent exited");
  };
  const ready = await next();
  equal(ready.ev, "ready", JSON.stringify(ready));
  return {
    ready,
    async send(cmd: Record<string, unknown>) {
      await writer.write(new TextEncoder().encode(JSON.stringify(cmd) + "\n"));
      const answer = await next();
      equal(answer.ev, "done", JSON.stringify(answer));
      return answer as unknown as {
        outcome?: { change: string; capped?: { applied: number; wanted: number; sysctl: string } };
        slots?: [number, string, number][];
      };
    },
    async [Symbol.asyncDispose]() {
      await writer.close().catch(() => {});
      await child.status;
    },
  };
}

async function readProc(ns: string, file: string): Promise<string> {
  const r = await run("ip", ["netns", "exec", ns, "cat", `/proc/net/${file}`]);
  equal(r.code, 0, r.out);
  return r.out;
}

/** /proc/net/mcfilter lines of up0 for a group as `source inc exc`, addresses dotted. */
async function mcfilter(ns: string, group: string): Promise<string[]> {
  return mcfilterLines(await readProc(ns, "mcfilter"), "up0", group);
}

/** /proc/net/mcfilter6 lines of up0 for a group (32 hex digits) as `source inc exc`. */
async function mcfilter6(ns: string, group: string): Promise<string[]> {
  return (await readProc(ns, "mcfilter6")).split("\n").map((l) => l.trim().split(/\s+/))
    .filter((f) => f[1] === "up0" && f[2] === group).map((f) => `${f[3]} ${f[4]} ${f[5]}`)
    .sort();
}

/** The users (sockets joined) of a group on up0 in /proc/net/igmp, 0 when absent. */
async function igmpUsers(ns: string, group: string): Promise<number> {
  const raw = parseIPv4(group)!;
  const le = [0, 8, 16, 24].map((s) => ((raw >>> s) & 255).toString(16).padStart(2, "0")).join("");
  let mine = false;
  for (const line of (await readProc(ns, "igmp")).split("\n")) {
    if (!line.startsWith("\t")) mine = /^\d+\s+up0\s*:/.test(line);
    const f = line.trim().split(/\s+/);
    if (mine && line.startsWith("\t") && f[0].toLowerCase() === le) return Number(f[1]);
  }
  return 0;
}

/** The users of a group (32 hex digits) on up0 in /proc/net/igmp6, 0 when absent. */
async function igmp6Users(ns: string, group: string): Promise<number> {
  const f = (await readProc(ns, "igmp6")).split("\n").map((l) => l.trim().split(/\s+/))
    .find((f) => f[1] === "up0" && f[2] === group);
  return f === undefined ? 0 : Number(f[3]);
}

/** `prefix` + n, n = 1..count. */
function v4s(prefix: string, count: number): string[] {
  return Array.from({ length: count }, (_, i) => `${prefix}${i + 1}`);
}

Deno.test({
  name:
    "e2e source filters on the host side: IPv4 INCLUDE in place, spread, EXCLUDE capped, switches, leave",
  ignore: skip !== undefined,
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    await using link = await makeLink();
    await using cap = await listen(link.b);
    await using agent = await startAgent(link.a);
    const G1 = "232.1.1.1";
    // INCLUDE {a}, then {a, b} in place.
    let r = await agent.send({
      op: "join",
      group: G1,
      filter: { mode: "include", sources: ["10.9.0.1"] },
    });
    deepStrictEqual(r.outcome, { change: "joined" });
    deepStrictEqual(await mcfilter(link.a, G1), ["10.9.0.1 1 0"]);
    await cap.waitFor("ALLOW {a}", () => cap.records(G1).length > 0);
    r = await agent.send({
      op: "join",
      group: G1,
      filter: { mode: "include", sources: ["10.9.0.1", "10.9.0.2"] },
    });
    deepStrictEqual(r.outcome, { change: "updated" });
    equal(r.slots?.length, 1);
    deepStrictEqual(await mcfilter(link.a, G1), ["10.9.0.1 1 0", "10.9.0.2 1 0"]);
    equal(await igmpUsers(link.a, G1), 1);
    await cap.waitFor("ALLOW {b}", () => cap.records(G1).includes("allow {10.9.0.2}"));
    // The kernel's reports: sources allowed one after the other, never a leave (TO_IN {}) or
    // an any-source join (TO_EX, IS_EX) in between.
    const g1 = cap.records(G1);
    equal(g1[0], "allow {10.9.0.1}", g1.join("; "));
    // (A retransmission of ALLOW {a} pending when b comes carries both.)
    ok(g1.every((x) => /^allow \{10\.9\.0\.[12]( 10\.9\.0\.[12])?\}$/.test(x)), g1.join("; "));

    // 25 sources: 3 sockets of 10, 10, 5.
    const G2 = "232.1.1.2";
    const many = v4s("10.9.1.", 25);
    r = await agent.send({ op: "join", group: G2, filter: { mode: "include", sources: many } });
    deepStrictEqual(r.slots?.map((s) => s[2]), [10, 10, 5]);
    deepStrictEqual(await mcfilter(link.a, G2), many.map((s) => `${s} 1 0`).sort());
    equal(await igmpUsers(link.a, G2), 3);

    // EXCLUDE 12 sources: the first 10, said once.
    const G3 = "239.1.1.3";
    const twelve = v4s("10.9.2.", 12);
    r = await agent.send({ op: "join", group: G3, filter: { mode: "exclude", sources: twelve } });
    deepStrictEqual(r.outcome, {
      change: "joined",
      capped: { applied: 10, wanted: 12, sysctl: "net.ipv4.igmp_max_msf" },
    });
    deepStrictEqual(await mcfilter(link.a, G3), twelve.slice(0, 10).map((s) => `${s} 0 1`).sort());

    // IN (25) -> EX {x, first}: one socket in EXCLUDE, the others gone.
    r = await agent.send({
      op: "join",
      group: G2,
      filter: { mode: "exclude", sources: ["10.9.9.9", many[0]] },
    });
    deepStrictEqual(r.slots, [[r.slots![0][0], "exclude", 2]]);
    deepStrictEqual(await mcfilter(link.a, G2), [`10.9.9.9 0 1`, `${many[0]} 0 1`].sort());
    equal(await igmpUsers(link.a, G2), 1);
    await cap.waitFor("TO_EX", () => cap.records(G2).some((x) => x.startsWith("to_ex")));
    // EX -> IN (25) again.
    r = await agent.send({ op: "join", group: G2, filter: { mode: "include", sources: many } });
    deepStrictEqual(r.slots?.map((s) => [s[1], s[2]]).sort(), [["include", 10], ["include", 10], [
      "include",
      5,
    ]]);
    deepStrictEqual(await mcfilter(link.a, G2), many.map((s) => `${s} 1 0`).sort());
    await cap.waitFor("TO_IN", () => cap.records(G2).some((x) => x.startsWith("to_in")));
    const g2 = cap.records(G2);
    ok(!g2.includes("to_in {}") && !g2.includes("block {}"), g2.join("; "));

    // 21 SSM groups of one source: past igmp_max_memberships (20) per socket, a second socket.
    const ssm = v4s("232.2.0.", 21);
    const fds = new Set<number>();
    for (const g of ssm) {
      r = await agent.send({
        op: "join",
        group: g,
        filter: { mode: "include", sources: [many[0]] },
      });
      fds.add(r.slots![0][0]);
    }
    ok(fds.size >= 2, `sockets: ${[...fds]}`);
    for (const g of ssm) deepStrictEqual(await mcfilter(link.a, g), [`${many[0]} 1 0`]);

    // Leave one, close the rest: nothing of ours stays.
    await agent.send({ op: "leave", group: G1 });
    deepStrictEqual(await mcfilter(link.a, G1), []);
    equal(await igmpUsers(link.a, G1), 0);
    await agent.send({ op: "close" });
    for (const g of [G2, G3, ...ssm]) {
      deepStrictEqual(await mcfilter(link.a, g), []);
      equal(await igmpUsers(link.a, g), 0);
    }
    const left = (await readProc(link.a, "mcfilter")).split("\n").filter((l) => l.includes("up0"));
    deepStrictEqual(left, []);
  },
});

Deno.test({
  name: "e2e source filters on the host side: IPv6 INCLUDE of 70 sources spread, IN<->EX, close",
  ignore: skip !== undefined,
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const maxMsf = Number(Deno.readTextFileSync("/proc/sys/net/ipv6/mld_max_msf").trim());
    await using link = await makeLink();
    await using cap = await listen(link.b);
    await using agent = await startAgent(link.a);
    const G = "ff3e::1:1";
    const G_HEX = "ff3e0000000000000000000000010001";
    const sources = Array.from({ length: 70 }, (_, i) => `2001:db8:9::${(i + 1).toString(16)}`);
    const hexOf = (i: number) =>
      `20010db8000900000000000000000000`.slice(0, 28) + (i + 1).toString(16).padStart(4, "0");
    let r = await agent.send({ op: "join", group: G, filter: { mode: "include", sources } });
    const expected = Array.from(
      { length: Math.ceil(70 / maxMsf) },
      (_, i) => Math.min(maxMsf, 70 - i * maxMsf),
    );
    deepStrictEqual(r.slots?.map((s) => s[2]), expected);
    deepStrictEqual(
      (await mcfilter6(link.a, G_HEX)).sort(),
      sources.map((_, i) => `${hexOf(i)} 1 0`).sort(),
    );
    equal(await igmp6Users(link.a, G_HEX), expected.length);
    await cap.waitFor("MLDv2 ALLOW", () => cap.records(G).some((x) => x.startsWith("allow")));

    r = await agent.send({
      op: "join",
      group: G,
      filter: { mode: "exclude", sources: sources.slice(0, 2) },
    });
    deepStrictEqual(r.slots?.map((s) => [s[1], s[2]]), [["exclude", 2]]);
    deepStrictEqual((await mcfilter6(link.a, G_HEX)).sort(), [0, 1].map((i) => `${hexOf(i)} 0 1`));
    equal(await igmp6Users(link.a, G_HEX), 1);
    r = await agent.send({
      op: "join",
      group: G,
      filter: { mode: "include", sources: sources.slice(0, 3) },
    });
    deepStrictEqual(r.slots?.map((s) => [s[1], s[2]]), [["include", 3]]);
    deepStrictEqual(
      (await mcfilter6(link.a, G_HEX)).sort(),
      [0, 1, 2].map((i) => `${hexOf(i)} 1 0`),
    );
    await cap.waitFor("MLDv2 TO_IN", () => cap.records(G).some((x) => x.startsWith("to_in")));
    ok(!cap.records(G).includes("to_in {}"), cap.records(G).join("; "));

    await agent.send({ op: "close" });
    deepStrictEqual(await mcfilter6(link.a, G_HEX), []);
    equal(await igmp6Users(link.a, G_HEX), 0);
  },
});
