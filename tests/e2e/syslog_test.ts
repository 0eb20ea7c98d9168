// End to end, logging without -d: the daemon's lines reach a syslog socket (a stand-in syslog
// daemon here) as `<PRI>mcast-proxy[PID]: message`, facility daemon, before and after it drops
// privileges and chroots; nothing but fatal lines go to stderr. Needs root; skipped with the
// reason printed otherwise.

import { ok } from "node:assert/strict";
import { createLab, denoRunArgv, labSupport } from "../lab/lab.ts";
import { startDaemon } from "../lab/daemon.ts";
import { awaitReady, parseEvent, readLines } from "../lab/json_lines.ts";
import { stopClean } from "../lab/kernel_state.ts";

const support = await labSupport();
if (!support.ok) console.log(`SKIPPED syslog e2e test: ${support.reason}`);

Deno.test({
  name: "e2e syslog: without -d the log goes to syslog, from inside the jail too",
  ignore: !support.ok,
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    await using lab = await createLab({ prefix: "mcpsl-", hostsPerLan: [1] });
    const dir = await Deno.makeTempDir({ prefix: "mcast-proxy-syslog-" });
    const path = `${dir}/log.sock`;
    const [cmd, ...args] = denoRunArgv(
      new URL("../lab/syslog_listener.ts", import.meta.url),
      [path],
      ["--unstable-net", "--allow-net", "--allow-read", "--allow-write"],
    );
    const listener = new Deno.Command(cmd, { args, stdout: "piped", stderr: "inherit" }).spawn();
    try {
      const lines = readLines(listener.stdout);
      await awaitReady(lines, listener, "The syslog listener");
      const received: string[] = [];
      const pumping = (async () => {
        for await (const l of lines) {
          const ev = parseEvent(l);
          if (ev?.ev === "msg") received.push(String(ev.text));
        }
      })();
      const daemon = await startDaemon(lab, { flags: ["-v"], env: { MCAST_PROXY_SYSLOG: path } });
      let exited = false;
      daemon.status.then(() => exited = true, () => exited = true);
      // The VM starts Deno slowly (the first line took more than 5 s once): wait for the state,
      // up to a minute, and stop early if the daemon died.
      const until = async (what: string, re: RegExp, stopped = false) => {
        const end = performance.now() + 60_000;
        while (!received.some((m) => re.test(m))) {
          const why = `no syslog message ${what} (${re}):\n${received.join("\n")}`;
          ok(performance.now() < end, why);
          ok(stopped || !exited, `the daemon exited; ${why}\n${daemon.lines.join("\n")}`);
          await new Promise((r) => setTimeout(r, 20));
        }
      };
      const pid = daemon.child.pid;
      await until("at start", new RegExp(`^<30>mcast-proxy\\[${pid}\\]: Started: upstream "up0"`));
      await until("after the drop", /^<30>mcast-proxy\[\d+\]: Running as "nobody"/);
      await until("of debug level with -v", /^<31>mcast-proxy\[\d+\]: Sent general query on "dn1"/);
      await stopClean(lab, daemon);
      // Logged from inside the jail, at exit.
      await until(
        "from the jail at exit",
        /^<30>mcast-proxy\[\d+\]: Stopped: forwarding entries, memberships and VIFs removed$/,
        true,
      );
      ok(daemon.lines.length === 0, `nothing on stdout or stderr:\n${daemon.lines.join("\n")}`);
      console.log(`  ${received.length} syslog messages, the first: ${received[0]}`);
      listener.kill("SIGTERM");
      await pumping.catch(() => {});
    } finally {
      try {
        listener.kill("SIGKILL");
      } catch {
        // Already gone.
      }
      await listener.status;
      await Deno.remove(dir, { recursive: true });
    }
  },
});
