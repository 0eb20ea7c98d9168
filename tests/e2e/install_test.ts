// End to end, the install command and the built artifact: `scripts/install.ts --destdir` stages
// the program (the single-file build with the Deno that runs it), the control client's link to
// it, the manuals, an example
// configuration and the systemd unit, which `systemd-analyze security` rates 3.5 or better; the
// installed program then passes the basic forwarding scenario in the lab, jailed and under the
// unit's sandbox (what of it the lab can apply without systemd), and leaves the kernel tables
// empty. Needs root for the lab; skipped with the reason printed otherwise.

import { deepStrictEqual, equal, ok } from "node:assert/strict";
import { createLab, denoBin, labSupport, SRC_ADDR, useIgmpV2Hosts } from "../lab/lab.ts";
import { Host } from "../lab/host.ts";
import { startSender } from "../lab/sender.ts";
import { labConfig, startDaemon } from "../lab/daemon.ts";
import { entryOf, logged, stopClean } from "../lab/kernel_state.ts";
import { runCommand } from "../lab/apt.ts";
import { sandboxArgv, serviceSettings } from "../lab/unit_sandbox.ts";
import { installedShebang, layout } from "../../scripts/install.ts";
import { DAEMON_V8_FLAGS } from "../../scripts/daemon_flags.ts";
import { VERSION } from "../../main.ts";

const support = await labSupport();
if (!support.ok) console.log(`SKIPPED install e2e test: ${support.reason}`);

const INSTALL = decodeURIComponent(new URL("../../scripts/install.ts", import.meta.url).pathname);
/** The worst `systemd-analyze security` exposure the unit may have. */
const MAX_EXPOSURE = 3.5;
/** CAP_NET_ADMIN, CAP_NET_RAW, CAP_SETGID, CAP_SETUID, CAP_SYS_CHROOT (<linux/capability.h>). */
const UNIT_CAPS = (1n << 12n) | (1n << 13n) | (1n << 6n) | (1n << 7n) | (1n << 18n);

/** A capability set of /proc/PID/status (`CapBnd`, `CapEff`, …). */
async function capSet(pid: number, name: string): Promise<bigint> {
  const status = await Deno.readTextFile(`/proc/${pid}/status`);
  const m = new RegExp(`^${name}:\\s+([0-9a-f]+)$`, "m").exec(status);
  ok(m !== null, `${name} in /proc/${pid}/status`);
  return BigInt(`0x${m[1]}`);
}

const DIST_SCRIPT = decodeURIComponent(
  new URL("../../dist/mcast-proxy.js", import.meta.url).pathname,
);
const DIST_CTL = decodeURIComponent(new URL("../../dist/mcast-proxyctl", import.meta.url).pathname);

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
      // Its link runs the control client.
      const builtCtl = await new Deno.Command(DIST_CTL, {
        args: ["--version"],
        clearEnv: true,
        env: { PATH: "/usr/bin:/bin" },
        stdin: "null",
      }).output();
      equal(text.decode(builtCtl.stdout), `mcast-proxyctl ${VERSION}\n`);
      const at = layout("/usr/local", "linux");
      const mode = async (p: string) => ((await Deno.stat(dest + p)).mode ?? 0) & 0o777;
      equal(await mode(at.program), 0o755);
      equal(await mode(at.deno), 0o755);
      equal(await mode(at.man8), 0o644);
      equal(await mode(at.man5), 0o644);
      equal(await mode(at.ctlMan8), 0o644);
      equal(await Deno.readLink(dest + at.ctl), "mcast-proxy", "a relative link");
      equal(await Deno.readLink(dest + at.routed), "mcast-proxy", "a relative link");
      equal(await mode(at.routedMan8), 0o644);
      const routedUnit = await Deno.readTextFile(dest + at.routedService!);
      ok(routedUnit.includes("\nExecStart=/usr/local/sbin/mcast-routed -c /etc/mrouted.conf\n"));
      ok(routedUnit.includes("\nExecStopPost=/bin/rm -f /run/mcast-routed.sock\n"));
      equal(await mode(at.service.path), 0o644);
      const program = await Deno.readTextFile(dest + at.program);
      equal(program.slice(0, program.indexOf("\n")), installedShebang(at.deno));
      const unit = await Deno.readTextFile(dest + at.service.path);
      ok(unit.includes("\nExecStart=/usr/local/sbin/mcast-proxy -f /etc/mcast-proxy.conf\n"));
      ok(unit.includes("\nExecReload=/bin/kill -HUP $MAINPID\n"));
      ok(unit.includes("\nExecStopPost=/bin/rm -f /run/mcast-proxy.sock\n"));
      ok(unit.includes("\nEnvironment=DENO_NO_UPDATE_CHECK=1\n"));
      const rating = await runCommand("systemd-analyze", [
        "security",
        "--offline=true",
        "--no-pager",
        dest + at.service.path,
      ]);
      const exposure = /Overall exposure level for \S+: (\d+\.\d+) (\w+)/.exec(rating.stdout);
      ok(exposure !== null, `systemd-analyze security: ${rating.stdout}${rating.stderr}`);
      console.log(`  the unit's exposure: ${exposure[1]} ${exposure[2]}`);
      ok(Number(exposure[1]) <= MAX_EXPOSURE, rating.stdout);
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
      // The installed link, as its shebang runs it, is the client: a mistake needs no daemon.
      const ctl = await new Deno.Command(run[0], {
        args: [...run.slice(1, -1), dest + at.ctl, "show", "nothing"],
        stdin: "null",
      }).output();
      equal(ctl.code, 2, text.decode(ctl.stderr));
      ok(text.decode(ctl.stderr).startsWith('mcast-proxyctl: show what? got "nothing"'));

      await using lab = await createLab({ prefix: "mcpin-", hostsPerLan: [1, 1] });
      await useIgmpV2Hosts(lab);
      const sandbox = sandboxArgv(serviceSettings(unit), run);
      // The control socket where the unit lets it be made (/tmp is read-only there).
      const controlSocket = `/run/mcast-proxy-install-test-${Deno.pid}.sock`;
      const daemon = await startDaemon(lab, {
        program: sandbox.argv,
        env: sandbox.env,
        controlSocket,
      });
      await daemon.waitForLine(/info: Started/);
      await daemon.waitForLine(/info: Running as "nobody"/);
      // The unit's bounding set, no new privileges, the filter; no capability left after the
      // drop to the daemon's user.
      const pid = daemon.child.pid;
      equal(await capSet(pid, "CapBnd"), UNIT_CAPS, "CapabilityBoundingSet");
      equal(await capSet(pid, "CapEff"), 0n, "no capability after the start");
      ok(/^NoNewPrivs:\s+1$/m.test(await Deno.readTextFile(`/proc/${pid}/status`)));
      ok(logged(daemon, "info").some((l) => l.startsWith("Syscall filter on for all")));
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
      // The installed client, through the socket the jailed daemon serves.
      const shown = await new Deno.Command(run[0], {
        args: [...run.slice(1, -1), dest + at.ctl, "-s", controlSocket, "show", "forwarding"],
        stdin: "null",
      }).output();
      equal(shown.code, 0, text.decode(shown.stderr));
      ok(/10\.0\.0\.\d+\s+239\.1\.1\.1/.test(text.decode(shown.stdout)), text.decode(shown.stdout));
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
      // The jailed daemon cannot remove its socket from /run: the next start replaces it.
      await Deno.remove(`/run/mcast-proxy-install-test-${Deno.pid}.sock`).catch(() => {});
    }
  },
});
