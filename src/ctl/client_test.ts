import { deepStrictEqual, equal, match, ok, rejects } from "node:assert/strict";
import { formatRequest } from "../runtime/control_protocol.ts";
import { ControlError, type ControlErrorKind, groupName, monitor, request } from "./client.ts";
import {
  leaveStaleSocket,
  MAY_RUN_DENO,
  mayRun,
  startFakeDaemon,
  startScriptedServer,
  withSocketPath,
} from "./ctl_testing.ts";
import { scratchSocket } from "../../tests/fakes/scratch.ts";

const options = { sanitizeOps: false, sanitizeResources: false };

if (!MAY_RUN_DENO) console.log("SKIPPED stale socket test: it needs --allow-run for Deno");

/** Whether `err` is a {@link ControlError} of `kind` whose message matches `message`. */
function controlError(kind: ControlErrorKind, message: RegExp) {
  return (err: unknown) => {
    ok(err instanceof ControlError, `a ControlError, got ${err}`);
    equal(err.kind, kind, err.message);
    match(err.message, message);
    return true;
  };
}

Deno.test({
  name: "request: sends the request line and resolves to the daemon's reply, ok or error",
  ...options,
  fn: () =>
    withSocketPath(async (path) => {
      const daemon = await startFakeDaemon(path, (req) =>
        req.command === "reload"
          ? { ok: false, body: '/etc/mcast-proxy.conf:3:1: unknown keyword "interfce"\n' }
          : { ok: true, body: `${formatRequest(req)}: done\n` });
      try {
        deepStrictEqual(
          await request(path, {
            command: "show",
            what: "groups",
            group: "ff05::1:1",
            format: "json",
          }),
          { ok: true, body: "show groups ff05::1:1 --json: done\n" },
        );
        deepStrictEqual(await request(path, { command: "reload", format: "text" }), {
          ok: false,
          body: '/etc/mcast-proxy.conf:3:1: unknown keyword "interfce"\n',
        });
        deepStrictEqual(daemon.requests, [
          { command: "show", what: "groups", group: "ff05::1:1", format: "json" },
          { command: "reload", format: "text" },
        ]);
      } finally {
        await daemon.close();
      }
    }),
});

Deno.test({
  name: "request: a reply split across many chunks, one byte of a character apart, is whole",
  ...options,
  fn: () =>
    withSocketPath(async (path) => {
      const body = `Interfaces: é ${"x".repeat(100_000)} ü\n`;
      const bytes = new TextEncoder().encode(
        `ok ${new TextEncoder().encode(body).length}\n${body}`,
      );
      // The header in three pieces, then the body in uneven pieces; "é" is cut in two.
      const cuts = [1, 4, 15, 16, 17, 5000, 5001, 60_000, bytes.length - 3, bytes.length];
      const server = startScriptedServer(path, async (conn) => {
        equal(await conn.readLine(), "dump\n");
        let from = 0;
        for (const to of cuts) {
          await conn.write(bytes.subarray(from, to));
          from = to;
          await conn.pause(5);
        }
        await conn.waitForClose();
      });
      try {
        deepStrictEqual(await request(path, { command: "dump", format: "text" }), {
          ok: true,
          body,
        });
      } finally {
        server.close();
        await server.done();
      }
    }),
});

Deno.test({
  name: "request: no socket at the path asks whether the daemon runs",
  ...options,
  fn: () =>
    withSocketPath(async (path) => {
      await rejects(
        request(path, { command: "dump", format: "text" }),
        controlError("no-socket", /^is mcast-proxy running\? no control socket at ".*\.sock"$/),
      );
    }),
});

Deno.test({
  name: "request: a socket nobody listens on is a daemon that stopped",
  ...options,
  ignore: !MAY_RUN_DENO,
  fn: () =>
    withSocketPath(async (path) => {
      await leaveStaleSocket(path);
      await rejects(
        request(path, { command: "dump", format: "text" }),
        controlError(
          "stale",
          /^mcast-proxy is not running: nobody listens on the control socket ".*" \(left by a daemon that stopped\)$/,
        ),
      );
    }),
});

Deno.test({
  name: "request: a daemon too busy to take the connection is named with the system's reason",
  ...options,
  fn: () =>
    withSocketPath(async (path) => {
      const listener = Deno.listen({ transport: "unix", path });
      const waiting: Deno.Conn[] = [];
      try {
        // It accepts nothing: connections queue up until its queue is full.
        for (let i = 0; i < 10000; i++) {
          const conn = await Deno.connect({ transport: "unix", path }).catch(() => undefined);
          if (conn === undefined) break;
          waiting.push(conn);
        }
        await rejects(
          request(path, { command: "dump", format: "text" }),
          controlError(
            "io",
            /^cannot connect to the control socket ".*\.sock": Resource temporarily unavailable/,
          ),
        );
      } finally {
        for (const c of waiting) c.close();
        listener.close();
      }
    }),
});

Deno.test({
  name: "request: a file that is not a socket is named as such",
  ...options,
  fn: () =>
    withSocketPath(async (path) => {
      await Deno.writeTextFile(path, "not a socket");
      await rejects(
        request(path, { command: "dump", format: "text" }),
        controlError("not-socket", /^".*\.sock" is not a socket/),
      );
    }),
});

/** The uid and gid of `nobody`, to run a client as when the tests run as root. */
const NOBODY = 65534;

/** Whether `setpriv` (util-linux) can run a program as another user here. */
async function canSetpriv(): Promise<boolean> {
  if (!mayRun("setpriv") || !MAY_RUN_DENO) return false;
  try {
    const out = await new Deno.Command("setpriv", {
      args: [`--reuid=${NOBODY}`, `--regid=${NOBODY}`, "--clear-groups", "true"],
      stdout: "null",
      stderr: "null",
    }).output();
    return out.success;
  } catch {
    return false;
  }
}

/** Whether the tests run as root (the owner of a file just made, without --allow-sys). */
async function runsAsRoot(): Promise<boolean> {
  const path = await scratchSocket();
  await Deno.writeTextFile(path, "");
  try {
    return (await Deno.stat(path)).uid === 0;
  } finally {
    await Deno.remove(path);
  }
}

const AS_ROOT = await runsAsRoot();
const CAN_SETPRIV = AS_ROOT && await canSetpriv();
if (AS_ROOT && !CAN_SETPRIV) {
  console.log(
    "SKIPPED permission test: root passes any socket mode, and asking as nobody needs setpriv " +
      "and --allow-run for it and Deno (the e2e control test asks as nobody)",
  );
}

Deno.test({
  name: "request: a user the socket's mode keeps out is told to be root or in its group",
  ...options,
  ignore: AS_ROOT && !CAN_SETPRIV,
  fn: () =>
    withSocketPath(async (path) => {
      const daemon = await startFakeDaemon(path, () => ({ ok: true, body: "" }));
      try {
        // Who the tests run as, without --allow-sys: the owner of the socket just made.
        if ((await Deno.stat(path)).uid !== 0) {
          // The owner, with mode 0000: the kernel refuses the connect (EACCES).
          await Deno.chmod(path, 0o000);
          await rejects(
            request(path, { command: "dump", format: "text" }),
            controlError(
              "permission",
              /^permission denied on the control socket ".*": run as root or a member of the socket's group \(.+\)$/,
            ),
          );
          return;
        }
        // Root passes any mode: ask as nobody, from another process.
        const dir = path.slice(0, path.lastIndexOf("/"));
        await Deno.chmod(dir, 0o755);
        const denoDir = await Deno.makeTempDir({ prefix: "mcast-proxyctl-deno-" });
        await Deno.chown(denoDir, NOBODY, NOBODY);
        try {
          const client = new URL("./client.ts", import.meta.url).href;
          const code = `import { request } from ${JSON.stringify(client)};
            try { await request(${
            JSON.stringify(path)
          }, { command: "dump", format: "text" }); console.log("answered"); }
            catch (err) { console.log(JSON.stringify({ kind: err.kind, message: err.message })); }`;
          const out = await new Deno.Command("setpriv", {
            args: [
              ...[`--reuid=${NOBODY}`, `--regid=${NOBODY}`, "--clear-groups", "--"],
              ...[Deno.execPath(), "eval", "--no-check", code],
            ],
            env: { DENO_DIR: denoDir, HOME: denoDir, DENO_NO_UPDATE_CHECK: "1", NO_COLOR: "1" },
            stdin: "null",
          }).output();
          const text = new TextDecoder();
          equal(out.code, 0, text.decode(out.stderr));
          const got = JSON.parse(text.decode(out.stdout));
          equal(got.kind, "permission", got.message);
          equal(
            got.message,
            `permission denied on the control socket ${
              JSON.stringify(path)
            }: run as root or a member of the socket's group ("${groupNameOf(0)}")`,
          );
        } finally {
          await Deno.remove(denoDir, { recursive: true });
        }
      } finally {
        await daemon.close();
      }
    }),
});

/** The name of group `gid` here, as the client finds it. */
function groupNameOf(gid: number): string {
  return groupName(Deno.readTextFileSync("/etc/group"), gid) ?? `gid ${gid}`;
}

Deno.test("groupName: finds a group by its id in /etc/group's text", () => {
  const file = "root:x:0:\nwheel:x:10:alice,bob\n# comment\nbroken\nmcast:x:110:\n";
  equal(groupName(file, 0), "root");
  equal(groupName(file, 110), "mcast");
  equal(groupName(file, 11), undefined);
});

Deno.test({
  name: "request: a daemon that does not answer in time is a timeout, in seconds",
  ...options,
  fn: () =>
    withSocketPath(async (path) => {
      const server = startScriptedServer(path, (conn) => conn.waitForClose());
      try {
        const t0 = performance.now();
        await rejects(
          request(path, { command: "dump", format: "text" }, { timeoutMs: 150 }),
          controlError("timeout", /^no reply from mcast-proxy on ".*" within 0\.15 s$/),
        );
        const took = performance.now() - t0;
        ok(took >= 140 && took < 2000, `${took} ms`);
      } finally {
        server.close();
        await server.done();
      }
    }),
});

Deno.test({
  name: "request: a reply cut short, no reply at all, and bytes that are no reply",
  ...options,
  fn: () =>
    withSocketPath(async (path) => {
      const scripts = [
        "ok 100\nonly this",
        "",
        "hello there\n",
        "stream\nan event\n",
      ];
      let next = 0;
      const server = startScriptedServer(path, async (conn) => {
        await conn.readLine();
        await conn.write(scripts[next++]);
      });
      try {
        await rejects(
          request(path, { command: "dump", format: "text" }),
          controlError("closed", /^mcast-proxy closed the connection before the end of its reply$/),
        );
        await rejects(
          request(path, { command: "dump", format: "text" }),
          controlError("closed", /^mcast-proxy closed the connection without a reply$/),
        );
        await rejects(
          request(path, { command: "dump", format: "text" }),
          controlError(
            "bad-reply",
            /^not a reply of mcast-proxy on ".*": bad reply header "hello there"$/,
          ),
        );
        await rejects(
          request(path, { command: "dump", format: "text" }),
          controlError("bad-reply", /a stream of events where a reply was expected$/),
        );
      } finally {
        server.close();
        await server.done();
      }
    }),
});

Deno.test({
  name: "monitor: hands over each line as it comes, then rejects when the daemon goes",
  ...options,
  fn: () =>
    withSocketPath(async (path) => {
      const server = startScriptedServer(path, async (conn) => {
        equal(await conn.readLine(), "monitor --json\n");
        await conn.write('stream\n{"event":"join"}\n{"ev');
        await conn.pause(20);
        await conn.write('ent":"leave"}\n');
        await conn.pause(20);
        await conn.write("\n");
      });
      const lines: string[] = [];
      try {
        await rejects(
          monitor(path, {
            onLine: (line) => void lines.push(line),
            signal: new AbortController().signal,
            format: "json",
          }),
          controlError(
            "closed",
            /^mcast-proxy closed the monitor stream \(the daemon stopped\?\)$/,
          ),
        );
        deepStrictEqual(lines, ['{"event":"join"}', '{"event":"leave"}', ""]);
      } finally {
        server.close();
        await server.done();
      }
    }),
});

Deno.test({
  name: "monitor: the signal stops it, waiting for the stream or in it, and closes the connection",
  ...options,
  fn: () =>
    withSocketPath(async (path) => {
      let closedByClient = 0;
      const server = startScriptedServer(path, async (conn) => {
        const asked = await conn.readLine();
        if (asked === "monitor\n") await conn.write("stream\nfirst\nsecond\n");
        await conn.waitForClose();
        closedByClient++;
      });
      try {
        // In the stream: stopped after the first line.
        const stopping = new AbortController();
        const lines: string[] = [];
        const onLine = (line: string) => {
          lines.push(line);
          stopping.abort();
        };
        deepStrictEqual(await monitor(path, { onLine, signal: stopping.signal }), {
          kind: "stopped",
        });
        deepStrictEqual(lines, ["first"]);
        // Before the stream starts (the server never answers `monitor --json`), well before
        // the timeout.
        const early = new AbortController();
        setTimeout(() => early.abort(), 50);
        const t0 = performance.now();
        deepStrictEqual(
          await monitor(path, { onLine, signal: early.signal, format: "json", timeoutMs: 5000 }),
          { kind: "stopped" },
        );
        ok(performance.now() - t0 < 2000);
        // Already aborted: nothing is sent.
        deepStrictEqual(await monitor(path, { onLine, signal: early.signal }), {
          kind: "stopped",
        });
        server.close();
        await server.done();
        equal(closedByClient, 2);
      } finally {
        server.close();
      }
    }),
});

Deno.test({
  name: "monitor: a daemon that answers with a reply instead of a stream; one that is not there",
  ...options,
  fn: () =>
    withSocketPath(async (path) => {
      const signal = new AbortController().signal;
      const onLine = () => {};
      await rejects(monitor(path, { onLine, signal }), controlError("no-socket", /no control/));
      const daemon = await startFakeDaemon(path, () => ({
        ok: false,
        body: "monitor is not available\n",
      }));
      try {
        deepStrictEqual(await monitor(path, { onLine, signal }), {
          kind: "reply",
          reply: { ok: false, body: "monitor is not available\n" },
        });
        deepStrictEqual(daemon.requests, [{ command: "monitor", format: "text" }]);
      } finally {
        await daemon.close();
      }
    }),
});
