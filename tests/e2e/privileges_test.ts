// End to end, the daemon's privilege drop: after start every thread runs as the unprivileged
// user, the process root is the jail, and the daemon still does all it does at run time from
// there (new joins of both families forwarded, a LAN that comes back, a clean SIGTERM). A
// missing user and an unsafe jail are startup errors that leave nothing behind. Needs root;
// skipped with the reason printed otherwise.

import { deepStrictEqual, equal, ok } from "node:assert/strict";
import { createLab, mldLabSupport, SRC_ADDR, SRC_ADDR6 } from "../lab/lab.ts";
import { Host } from "../lab/host.ts";
import { startSender } from "../lab/sender.ts";
import { LAB_USER, labConfig, startDaemon } from "../lab/daemon.ts";
import { addLanLink, removeLanLink } from "../lab/links.ts";
import {
  cache,
  cache6,
  entryOf,
  entryOf6,
  gapsIfKeptUp,
  mifs6,
  stopClean,
  vifNames,
  vifs,
} from "../lab/kernel_state.ts";
import { watchForwarding } from "../lab/forwarding_watch.ts";

const PREFIX = "mcppv-";
const G4 = "239.1.1.1";
const G6 = "ff05::1";
const HOPS = 5;

const support = await mldLabSupport();
if (!support.ok) console.log(`SKIPPED privilege e2e tests: ${support.reason}`);

/** The ids of the lab user, from the password database. */
async function labUserIds(): Promise<{ uid: number; gid: number }> {
  const line = (await Deno.readTextFile("/etc/passwd")).split("\n")
    .find((l) => l.startsWith(`${LAB_USER}:`));
  ok(line !== undefined, `${LAB_USER} is in /etc/passwd`);
  const f = line.split(":");
  return { uid: Number(f[2]), gid: Number(f[3]) };
}

/** The Uid, Gid and Groups lines of every thread of a process. */
async function threadIds(
  pid: number,
): Promise<{ tid: string; uid: string; gid: string; groups: string }[]> {
  const out = [];
  for await (const t of Deno.readDir(`/proc/${pid}/task`)) {
    const status = await Deno.readTextFile(`/proc/${pid}/task/${t.name}/status`);
    const field = (name: string) =>
      (status.match(new RegExp(`^${name}:\\s*(.*)$`, "m"))?.[1] ?? "").trim().replace(/\s+/g, " ");
    out.push({ tid: t.name, uid: field("Uid"), gid: field("Gid"), groups: field("Groups") });
  }
  return out;
}

Deno.test({
  name:
    "e2e privileges: every thread unprivileged and jailed, yet joins, a returning LAN and SIGTERM work",
  ignore: !support.ok,
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    await using lab = await createLab({ prefix: PREFIX, hostsPerLan: [1, 1] });
    const { uid, gid } = await labUserIds();
    const daemon = await startDaemon(lab, { config: "ipv6 yes\n" + labConfig(lab) });
    await daemon.waitForLine(/info: Started/);
    const running = await daemon.waitForLine(/info: Running as "nobody"/);
    ok(
      running.endsWith(
        `Running as "${LAB_USER}" (uid ${uid}, gid ${gid}), jailed in "${daemon.jail}"`,
      ),
      running,
    );
    const pid = daemon.child.pid;
    ok((await Deno.readTextFile(`/proc/${pid}/cmdline`)).includes("main.ts"), "the daemon's pid");
    const threads = await threadIds(pid);
    console.log(`  ${threads.length} threads, every one uid ${uid} gid ${gid}`);
    ok(threads.length >= 2, `threads: ${threads.length}`);
    for (const t of threads) {
      deepStrictEqual(
        { uid: t.uid, gid: t.gid, groups: t.groups },
        {
          uid: `${uid} ${uid} ${uid} ${uid}`,
          gid: `${gid} ${gid} ${gid} ${gid}`,
          groups: `${gid}`,
        },
        `thread ${t.tid}`,
      );
    }
    equal(await Deno.readLink(`/proc/${pid}/root`), daemon.jail, "the process root is the jail");
    equal(await Deno.readLink(`/proc/${pid}/cwd`), daemon.jail, "its working directory too");

    const sender4 = await startSender(lab, { groups: [G4], rate: 100 });
    const sender6 = await startSender(lab, { groups: [G6], rate: 100, ttl: HOPS });
    await using h11 = await Host.onLan(lab, 1, 1);
    const t0 = Host.now();
    await h11.join(G4);
    await h11.join(G6);
    const [rx4, rx6] = await Promise.all([
      h11.waitFor(G4, { since: t0, count: 20, timeoutMs: 3000 }),
      h11.waitFor(G6, { since: t0, count: 20, timeoutMs: 3000 }),
    ]);
    console.log(
      `  joins after the drop to first datagram: IPv4 ${(rx4[0].t - t0).toFixed(0)} ms, ` +
        `IPv6 ${(rx6[0].t - t0).toFixed(0)} ms`,
    );

    // LAN 2 goes away and comes back: new VIF and MIF, new memberships, from the jail.
    await removeLanLink(lab, 2);
    await daemon.waitForLine(/info: Interface "dn2" is gone/);
    await addLanLink(lab, 2);
    await daemon.waitForLine(/info: Interface "dn2" appeared/);
    await daemon.waitForLine(/info: IPv6: Interface "dn2" appeared/);
    deepStrictEqual(await vifNames(lab), ["up0", "dn1", "dn2"]);
    deepStrictEqual((await mifs6(lab)).map((m) => m.name), ["up0", "dn1", "dn2"]);
    await using h21 = await Host.onLan(lab, 2, 1);
    const t1 = Host.now();
    await h21.join(G4);
    await h21.join(G6);
    await Promise.all([
      h21.waitFor(G4, { since: t1, count: 20, timeoutMs: 3000 }),
      h21.waitFor(G6, { since: t1, count: 20, timeoutMs: 3000 }),
    ]);
    deepStrictEqual((await entryOf(lab, SRC_ADDR, G4))?.oifs.sort(), ["dn1:1", "dn2:1"]);
    deepStrictEqual((await entryOf6(lab, SRC_ADDR6, G6))?.oifs.sort(), ["dn1:1", "dn2:1"]);
    ok(!daemon.lines.some((l) => / (warn|fatal): /.test(l)), daemon.lines.join("\n"));

    // SIGHUP re-reads the unchanged configuration from the jail: nothing moves.
    const dropped = await h11.watchDrops();
    const forwardedAll = await watchForwarding(lab, { family: 4, iif: "up0", oif: "dn1" });
    const beforeHup = Host.now();
    Deno.kill(pid, "SIGHUP");
    await daemon.waitForLine(/info: Reloaded the configuration/);
    await new Promise((r) => setTimeout(r, 500));
    await h11.sync();
    const seqs = h11.received(G4, beforeHup - 200).map((r) => r.seq);
    ok(seqs.length > 40, `still received after SIGHUP: ${seqs.length}`);
    deepStrictEqual(
      gapsIfKeptUp(seqs, await dropped("ipv4")),
      [],
      "no datagram lost around the SIGHUP",
    );
    await forwardedAll("around the SIGHUP");

    await sender4.stop();
    await sender6.stop();
    await stopClean(lab, daemon);
  },
});

Deno.test({
  name:
    "e2e privileges: a missing user or an unsafe jail is a fatal error before the kernel is touched",
  ignore: !support.ok,
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    await using lab = await createLab({ prefix: PREFIX, hostsPerLan: [1] });
    const missing = await startDaemon(lab, { config: labConfig(lab) + "user _mcp_nosuch\n" });
    equal((await missing.status).code, 1);
    const fatal = missing.lines.filter((l) => l.includes("fatal:"));
    deepStrictEqual(fatal.map((l) => l.slice(l.indexOf("fatal:"))), [
      'fatal: User "_mcp_nosuch" does not exist: create it with "useradd --system --home-dir ' +
      '/var/empty --no-create-home --shell /usr/sbin/nologin _mcp_nosuch" (and "mkdir -m 755 ' +
      '/var/empty"), or name another one with "user NAME" in the configuration',
    ]);
    const open = await Deno.makeTempDir({ prefix: "mcast-proxy-open-jail-" });
    try {
      await Deno.chmod(open, 0o777);
      const unsafe = await startDaemon(lab, { config: labConfig(lab) + `chroot "${open}"\n` });
      equal((await unsafe.status).code, 1);
      ok(
        unsafe.lines.some((l) =>
          l.endsWith(
            `fatal: Cannot use "${open}" as the jail: it is writable by group or others (mode ` +
              `0777): run "chmod go-w ${open}"`,
          )
        ),
        unsafe.lines.join("\n"),
      );
    } finally {
      await Deno.remove(open);
    }
    deepStrictEqual(await vifs(lab), [], "no VIF was added");
    deepStrictEqual(await cache(lab), []);
    deepStrictEqual(await cache6(lab), []);
  },
});
