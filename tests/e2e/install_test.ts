// End to end, the install command and the built artifact: `scripts/install.ts --destdir` stages
// the program (the single-file build with the Deno that runs it), the manuals, an example
// configuration and the systemd unit; the installed program then passes the basic forwarding
// scenario in the lab, jailed, and leaves the kernel tables empty. Needs root for the lab;
// skipped with the reason printed otherwise.

import { deepStrictEqual, equal, ok } from "node:assert/strict";
import { createLab, denoBin, labSupport, SRC_ADDR, useIgmpV2Hosts } from "../lab/lab.ts";
import { Host } from "../lab/host.ts";
import { startSender } from "../lab/sender.ts";
import { labConfig, startDaemon } from "../lab/daemon.ts";
import { entryOf, stopClean } from "../lab/kernel_state.ts";
import { installedShebang, layout } from "../../scripts/install.ts";
import { DAEMON_V8_FLAGS } from "../../scripts/daemon_flags.ts";
import { VERSION } from "../../main.ts";

const support = await labSupport();
if (!support.ok) console.log(`SKIPPED install e2e test: ${support.reason}`);

const INSTALL = decodeURIComponent(new URL("../../scripts/install.ts", import.meta.url).pathname);
const DIST_SCRIPT = decodeURIComponent(
  new URL("../../dist/mcast-proxy.js", import.meta.url).pathname,
);

Deno.test({
  name: "e2e install: staged files, the unit, and the installed program forwards in the lab",
  ignore: !support.ok,
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const dest = await Deno.makeTempDir({ prefix: "mcast-proxy-stage-" });
    try {
      const t0 = performance.now();
      const out = await new Deno.Command(denoBin(), {
        args: ["run", "--allow-all", "--no-prompt", INSTALL, "--destdir", dest],
        env: { DENO_NO_UPDATE_CHECK: "1", DENO_BIN: denoBin() },
        stdin: "null",
      }).output();
      const text = new TextDecoder();
      equal(out.code, 0, text.decode(out.stderr));
      console.log(`  install (build included): ${(performance.now() - t0).toFixed(0)} ms`);
      // The build it made in dist/ runs by itself, with no deno on PATH.
      const built = await new Deno.Command(DIST_SCRIPT, {
        args: ["--version"],
        clearEnv: true,
        env: { PATH: "/usr/bin:/bin" },
        stdin: "null",
      }).output();
      equal(text.decode(built.stdout), `mcast-proxy ${VERSION}\n`, text.decode(built.stderr));
      const at = layout("/usr/local", "linux");
      const mode = async (p: string) => ((await Deno.stat(dest + p)).mode ?? 0) & 0o777;
      equal(await mode(at.program), 0o755);
      equal(await mode(at.deno), 0o755);
      equal(await mode(at.man8), 0o644);
      equal(await mode(at.man5), 0o644);
      equal(await mode(at.service.path), 0o644);
      const program = await Deno.readTextFile(dest + at.program);
      equal(program.slice(0, program.indexOf("\n")), installedShebang(at.deno));
      const unit = await Deno.readTextFile(dest + at.service.path);
      ok(unit.includes("\nExecStart=/usr/local/sbin/mcast-proxy -f /etc/mcast-proxy.conf\n"));
      ok(unit.includes("\nExecReload=/bin/kill -HUP $MAINPID\n"));
      ok(unit.includes("\nEnvironment=DENO_NO_UPDATE_CHECK=1\n"));
      // As the shebang runs it.
      const run = [
        ...[dest + at.deno, "run", "--allow-all", "--no-prompt", DAEMON_V8_FLAGS],
        dest + at.program,
      ];
      const check = await new Deno.Command(run[0], {
        args: [...run.slice(1), "-n", "-f", dest + at.example],
        stdin: "null",
      }).output();
      equal(text.decode(check.stdout), "configuration OK\n", text.decode(check.stderr));

      await using lab = await createLab({ prefix: "mcpin-", hostsPerLan: [1, 1] });
      await useIgmpV2Hosts(lab);
      const daemon = await startDaemon(lab, { program: run });
      await daemon.waitForLine(/info: Started/);
      await daemon.waitForLine(/info: Running as "nobody"/);
      ok(
        (await Deno.readTextFile(`/proc/${daemon.child.pid}/cmdline`)).includes(at.program),
        "the installed program runs",
      );
      const sender = await startSender(lab, { groups: ["239.1.1.1"], rate: 100 });
      await using h11 = await Host.onLan(lab, 1, 1);
      const joined = await h11.join("239.1.1.1");
      const rx = await h11.waitFor("239.1.1.1", { since: joined, count: 20, timeoutMs: 3000 });
      console.log(
        `  installed program: join to first datagram ${(rx[0].t - joined).toFixed(1)} ms`,
      );
      deepStrictEqual(await entryOf(lab, SRC_ADDR, "239.1.1.1"), { iif: "up0", oifs: ["dn1:1"] });
      // SIGHUP, as systemctl reload sends it: the installed program reads its configuration
      // again from the jail and changes the entry in place.
      await daemon.rewrite(
        labConfig(lab).replace(
          "interface dn1 { downstream }",
          "interface dn1 {\n\tdownstream\n\tthreshold 2\n}",
        ),
      );
      Deno.kill(daemon.child.pid, "SIGHUP");
      await daemon.waitForLine(/info: Reloaded the configuration/);
      deepStrictEqual(await entryOf(lab, SRC_ADDR, "239.1.1.1"), { iif: "up0", oifs: ["dn1:2"] });
      await sender.stop();
      await stopClean(lab, daemon);
    } finally {
      await Deno.remove(dest, { recursive: true });
    }
  },
});
