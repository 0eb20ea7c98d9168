import { deepStrictEqual, equal, match, ok } from "node:assert/strict";
import { DEFAULT_CONTROL_SOCKET, formatRequest } from "../runtime/control_protocol.ts";
import { VERSION } from "../version.ts";
import { DOCTOR_RULES } from "./doctor.ts";
import {
  CTL_USAGE,
  ctlMain,
  EXIT_OK,
  EXIT_REFUSED,
  EXIT_UNREACHABLE,
  EXIT_USAGE,
  programName,
} from "./cli.ts";
import {
  captureIo,
  leaveStaleSocket,
  MAY_RUN_DENO,
  startFakeDaemon,
  startScriptedServer,
  withSocketPath,
} from "./ctl_testing.ts";

const options = { sanitizeOps: false, sanitizeResources: false };

if (!MAY_RUN_DENO) {
  console.log("SKIPPED stale socket and whole-program tests: they need --allow-run for Deno");
}

Deno.test({
  name: "ctlMain: an ok reply's body goes to stdout as is (exit 0), wherever the flags stand",
  ...options,
  fn: () =>
    withSocketPath(async (path) => {
      const daemon = await startFakeDaemon(path, (req) => ({
        ok: true,
        body: `[${formatRequest(req)}]`,
      }));
      try {
        for (
          const [args, body] of [
            [["-s", path, "show", "interfaces"], "[show interfaces]"],
            [
              ["--json", "-s", path, "show", "groups", "239.1.1.1"],
              "[show groups 239.1.1.1 --json]",
            ],
            [["-s", path, "show", "counters", "--prometheus"], "[show counters --prometheus]"],
            [["-s", path, "-t", "2.5", "log", "verbose"], "[log verbose]"],
            [["-s", path, "dump"], "[dump]"],
            [["-s", path, "dump", "--json"], "[dump --json]"],
            [["--json", "-s", path, "log", "brief"], "[log brief --json]"],
            [["-s", path, "reload", "--json"], "[reload --json]"],
            [["-s", path, "show", "config", "--json"], "[show config --json]"],
          ] as const
        ) {
          const { io, captured } = captureIo();
          equal(await ctlMain([...args], io), EXIT_OK, captured.err);
          equal(captured.out, body);
          equal(captured.err, "");
        }
      } finally {
        await daemon.close();
      }
    }),
});

Deno.test({
  name: "ctlMain: an error reply's body goes to stderr (exit 1)",
  ...options,
  fn: () =>
    withSocketPath(async (path) => {
      const reasons = '/etc/mcast-proxy.conf:4:2: unknown keyword "treshold": ' +
        'did you mean "threshold"?\nreload failed: the running configuration is kept';
      const daemon = await startFakeDaemon(path, () => ({ ok: false, body: reasons }));
      try {
        const { io, captured } = captureIo();
        equal(await ctlMain(["-s", path, "reload"], io), EXIT_REFUSED);
        equal(captured.out, "");
        equal(captured.err, `${reasons}\n`);
      } finally {
        await daemon.close();
      }
    }),
});

Deno.test({
  name: "ctlMain: an error answered in JSON goes to stdout for the script (exit 1)",
  ...options,
  fn: () =>
    withSocketPath(async (path) => {
      const body = '{"version":1,"ok":false,"messages":[{"level":"warn","message":"x:1:1: no"}]}\n';
      const daemon = await startFakeDaemon(path, () => ({ ok: false, body }));
      try {
        const { io, captured } = captureIo();
        equal(await ctlMain(["-s", path, "reload", "--json"], io), EXIT_REFUSED);
        equal(captured.out, body);
        equal(captured.err, "");
      } finally {
        await daemon.close();
      }
    }),
});

Deno.test("ctlMain: mistakes are reported without a daemon (exit 2)", async () => {
  // No daemon anywhere: a mistake never gets as far as connecting.
  const nowhere = "/nonexistent/mcast-proxy.sock";
  const cases: [string[], RegExp, boolean][] = [
    [[], /^mcast-proxyctl: no command$/, true],
    [["-s", nowhere], /^mcast-proxyctl: no command$/, true],
    [["-s", nowhere, "shwo", "groups"], /^mcast-proxyctl: unknown command "shwo"/, false],
    [["-s", nowhere, "show"], /^mcast-proxyctl: show what\? got nothing: expected one of/, false],
    [["-s", nowhere, "show", "groups", "10.0.0.1"], /"10.0.0.1" is not a multicast/, false],
    [["-s", nowhere, "show", "interfaces", "--prometheus"], /does not take --prometheus/, false],
    [
      ["-s", nowhere, "--prometheus", "dump"],
      /^mcast-proxyctl: dump does not take --prometheus$/,
      false,
    ],
    [["-s", nowhere, "log", "brief", "--prometheus"], /log does not take --prometheus/, false],
    [["-s", nowhere, "--json", "--prometheus", "show", "counters"], /exclude each other/, false],
    [["-s", nowhere, "log"], /log what\? got nothing: expected verbose or brief/, false],
    [["-x", "dump"], /^mcast-proxyctl: unknown option -x$/, true],
    [["dump", "-s"], /^mcast-proxyctl: option -s needs a value$/, true],
    [["--json=yes", "dump"], /^mcast-proxyctl: option --json takes no value$/, true],
    [["-s", nowhere, "-t", "0", "dump"], /^mcast-proxyctl: -t "0": expected seconds/, false],
    [["-s", nowhere, "-t", "soon", "dump"], /^mcast-proxyctl: -t "soon": expected seconds/, false],
    [["-s", "", "dump"], /^mcast-proxyctl: -s needs a path$/, false],
  ];
  for (const [args, message, usage] of cases) {
    const { io, captured } = captureIo();
    equal(await ctlMain(args, io), EXIT_USAGE, args.join(" "));
    equal(captured.out, "");
    const [first, ...rest] = captured.err.split("\n");
    match(first, message);
    equal(rest.join("\n"), usage ? `${CTL_USAGE}\n` : "", args.join(" "));
  }
});

Deno.test("ctlMain: -h and -V answer on stdout (exit 0); the usage names every command", async () => {
  for (const flag of ["-h", "--help"]) {
    const { io, captured } = captureIo();
    equal(await ctlMain([flag, "show", "bogus"], io), EXIT_OK);
    equal(captured.out, `${CTL_USAGE}\n`);
  }
  for (const flag of ["-V", "--version"]) {
    const { io, captured } = captureIo();
    equal(await ctlMain([flag], io), EXIT_OK);
    equal(captured.out, `mcast-proxyctl ${VERSION}\n`);
  }
  for (
    const command of [
      "show interfaces",
      "show groups [group]",
      "show upstream",
      "show forwarding",
      "show counters",
      "show config",
      "reload",
      "log verbose | brief",
      "dump",
      "monitor",
    ]
  ) {
    ok(CTL_USAGE.includes(`\n  ${command} `), command);
  }
  ok(CTL_USAGE.includes("\n  doctor [group [source]]\n"));
  ok(CTL_USAGE.includes("\n  -w seconds "));
  ok(CTL_USAGE.includes("\n  --json         answer in JSON (every command)\n"));
  ok(CTL_USAGE.includes(`(default ${DEFAULT_CONTROL_SOCKET})`));
});

/** Runs `ctlMain` with `args`, which must print nothing on stdout. */
async function runUnreachable(args: string[]): Promise<{ code: number; err: string }> {
  const { io, captured } = captureIo();
  const code = await ctlMain(args, io);
  equal(captured.out, "");
  return { code, err: captured.err };
}

Deno.test({
  name: "ctlMain: a stale socket is said on stderr (exit 3)",
  ...options,
  ignore: !MAY_RUN_DENO,
  fn: () =>
    withSocketPath(async (path) => {
      await leaveStaleSocket(path);
      const stale = await runUnreachable(["-s", path, "reload"]);
      equal(stale.code, EXIT_UNREACHABLE);
      match(stale.err, /^mcast-proxyctl: mcast-proxy is not running: nobody listens on /);
    }),
});

Deno.test({
  name: "ctlMain: no socket, a silent daemon: said on stderr (exit 3)",
  ...options,
  fn: () =>
    withSocketPath(async (path) => {
      const run = runUnreachable;
      deepStrictEqual(await run(["-s", path, "show", "interfaces"]), {
        code: EXIT_UNREACHABLE,
        err: `mcast-proxyctl: is mcast-proxy running? no control socket at ${
          JSON.stringify(path)
        }\n`,
      });
      const server = startScriptedServer(path, (conn) => conn.waitForClose());
      try {
        const silent = await run(["-s", path, "-t", "0.1", "dump"]);
        equal(silent.code, EXIT_UNREACHABLE);
        match(silent.err, /^mcast-proxyctl: no reply from mcast-proxy on ".*" within 0\.1 s\n$/);
      } finally {
        server.close();
        await server.done();
      }
    }),
});

Deno.test({
  name: "ctlMain: monitor prints each event as it comes, then exit 3 when the daemon goes",
  ...options,
  fn: () =>
    withSocketPath(async (path) => {
      const server = startScriptedServer(path, async (conn) => {
        equal(await conn.readLine(), "monitor\n");
        await conn.write('stream\nJoined 239.1.1.1 on "dn1"\nLe');
        await conn.pause(20);
        await conn.write('ft 239.1.1.1 on "dn1"\n');
      });
      try {
        const { io, captured } = captureIo();
        equal(await ctlMain(["-s", path, "monitor"], io), EXIT_UNREACHABLE);
        equal(captured.out, 'Joined 239.1.1.1 on "dn1"\nLeft 239.1.1.1 on "dn1"\n');
        equal(
          captured.err,
          "mcast-proxyctl: mcast-proxy closed the monitor stream (the daemon stopped?)\n",
        );
        equal(captured.listening, 0, "the signal listeners are removed");
      } finally {
        server.close();
        await server.done();
      }
    }),
});

Deno.test({
  name: "ctlMain: monitor ends with exit 0 on SIGINT or SIGTERM, and when its reader goes",
  ...options,
  fn: () =>
    withSocketPath(async (path) => {
      const server = startScriptedServer(path, async (conn) => {
        await conn.readLine();
        await conn.write("stream\none\ntwo\nthree\n");
        await conn.waitForClose();
      });
      try {
        // A signal after the first line.
        const signalled = captureIo({ onOut: (_, captured) => captured.stop() });
        equal(await ctlMain(["-s", path, "monitor", "--json"], signalled.io), EXIT_OK);
        equal(signalled.captured.out, "one\n");
        equal(signalled.captured.err, "");
        equal(signalled.captured.listening, 0);
        // `| head -2`: the pipe closes after two lines.
        let lines = 0;
        const piped = captureIo({
          onOut: () => {
            if (++lines > 2) throw new Deno.errors.BrokenPipe("Broken pipe (os error 32)");
          },
        });
        equal(await ctlMain(["-s", path, "monitor"], piped.io), EXIT_OK);
        equal(piped.captured.out, "one\ntwo\n");
        equal(piped.captured.err, "");
        server.close();
        await server.done();
        deepStrictEqual(server.received, ["monitor --json\n", "monitor\n"]);
      } finally {
        server.close();
      }
    }),
});

Deno.test({
  name: "ctlMain: a monitor the daemon refuses is an error reply (exit 1)",
  ...options,
  fn: () =>
    withSocketPath(async (path) => {
      const daemon = await startFakeDaemon(path, () => ({ ok: false, body: "no events here" }));
      try {
        const { io, captured } = captureIo();
        equal(await ctlMain(["-s", path, "monitor"], io), EXIT_REFUSED);
        equal(captured.err, "no events here\n");
      } finally {
        await daemon.close();
      }
    }),
});

Deno.test({
  name: "ctlMain: standard output that fails otherwise than a closed pipe is said (exit 1)",
  ...options,
  fn: () =>
    withSocketPath(async (path) => {
      const daemon = await startFakeDaemon(path, () => ({ ok: true, body: "table\n" }));
      try {
        const full = captureIo({
          onOut: () => {
            throw new Error("No space left on device (os error 28)");
          },
        });
        equal(await ctlMain(["-s", path, "dump"], full.io), EXIT_REFUSED);
        equal(
          full.captured.err,
          "mcast-proxyctl: cannot write to standard output: No space left on device (os error 28)\n",
        );
        const closed = captureIo({
          onOut: () => {
            throw new Deno.errors.BrokenPipe("Broken pipe (os error 32)");
          },
        });
        equal(await ctlMain(["-s", path, "dump"], closed.io), EXIT_OK);
        equal(closed.captured.err, "");
      } finally {
        await daemon.close();
      }
    }),
});

Deno.test("programName: a script by the name it was run as, an executable by argv[0]", () => {
  const script = {
    standalone: false,
    execPath: "/usr/local/lib/mcast-proxy/deno",
    argv0: undefined,
  };
  equal(
    programName({ ...script, mainModule: "file:///usr/local/sbin/mcast-proxyctl" }),
    "mcast-proxyctl",
  );
  equal(
    programName({ ...script, mainModule: "file:///usr/local/sbin/mcast-proxy" }),
    "mcast-proxy",
  );
  equal(programName({ ...script, mainModule: "file:///work/main/main.ts" }), "main.ts");
  equal(
    programName({ ...script, mainModule: "file:///opt/my%20dir/mcast-proxyctl" }),
    "mcast-proxyctl",
  );
  // Linux follows the link for the executable's path: argv[0] keeps the name typed.
  const executable = {
    standalone: true,
    mainModule: "file:///main.ts",
    execPath: "/sbin/mcast-proxy",
  };
  equal(programName({ ...executable, argv0: "mcast-proxyctl" }), "mcast-proxyctl");
  equal(programName({ ...executable, argv0: "/usr/local/sbin/mcast-proxyctl" }), "mcast-proxyctl");
  equal(programName({ ...executable, argv0: undefined }), "mcast-proxy");
});

Deno.test("the manual documents every command, flag and exit status of the usage", async () => {
  const page = await Deno.readTextFile(new URL("../../man/mcast-proxyctl.8", import.meta.url));
  for (const what of ["interfaces", "groups", "upstream", "forwarding", "counters", "config"]) {
    ok(new RegExp(`^\\.It Cm show ${what}\\b`, "m").test(page), `show ${what}`);
  }
  for (const command of ["reload", "log", "dump", "monitor", "doctor"]) {
    ok(new RegExp(`^\\.It Cm ${command}\\b`, "m").test(page), command);
  }
  for (const flag of ["s", "t", "w", "\\\\-json", "\\\\-prometheus", "h", "V"]) {
    ok(new RegExp(`^\\.It Fl ${flag}\\b`, "m").test(page), flag);
  }
  for (const code of [EXIT_OK, EXIT_REFUSED, EXIT_USAGE, EXIT_UNREACHABLE]) {
    ok(new RegExp(`^\\.It ${code}$`, "m").test(page), `exit ${code}`);
  }
  ok(page.includes(DEFAULT_CONTROL_SOCKET));
});

Deno.test("the manual names every rule of the doctor, with its description", async () => {
  const page = await Deno.readTextFile(new URL("../../man/mcast-proxyctl.8", import.meta.url));
  const named = [...page.matchAll(/^\.It Sy ([a-z-]+)\n(.*)$/gm)];
  deepStrictEqual(
    named.map(([, name, what]) => ({ name, what })),
    DOCTOR_RULES.map(({ name, what }) => ({ name, what })),
  );
});

Deno.test({
  name: "mcast-proxy ctl: a real process prints the stream and exits 0 on SIGINT and SIGTERM",
  ...options,
  ignore: !MAY_RUN_DENO,
  fn: () =>
    withSocketPath(async (path) => {
      const server = startScriptedServer(path, async (conn) => {
        await conn.readLine();
        await conn.write("stream\nfirst event\n");
        await conn.waitForClose();
      });
      const main = new URL("../../main.ts", import.meta.url).pathname;
      try {
        for (const signal of ["SIGINT", "SIGTERM"] as const) {
          const child = new Deno.Command(Deno.execPath(), {
            args: ["run", "--allow-all", "--no-check", main, "ctl", "-s", path, "monitor"],
            env: { DENO_NO_UPDATE_CHECK: "1", NO_COLOR: "1" },
            stdin: "null",
            stdout: "piped",
            stderr: "piped",
          }).spawn();
          const reader = child.stdout.getReader();
          const { value } = await reader.read();
          equal(new TextDecoder().decode(value), "first event\n");
          child.kill(signal);
          reader.releaseLock();
          const out = await child.output();
          equal(out.code, EXIT_OK, `${signal}: ${new TextDecoder().decode(out.stderr)}`);
          equal(new TextDecoder().decode(out.stderr), "");
        }
      } finally {
        server.close();
        await server.done();
      }
    }),
});
