import { deepStrictEqual, equal, match, ok, rejects } from "node:assert/strict";
import { formatRequest } from "./control_protocol.ts";
import {
  ANSWERS_PER_TURN,
  type ControlHandler,
  ControlServer,
  type ControlSession,
  DEFAULT_READ_ONLY_MAX_CLIENTS,
} from "./control_server.ts";
import { client, echo, MiB, options, quiet, until, withServer } from "./control_server_testing.ts";
import { scratchSocket } from "../../tests/fakes/scratch.ts";

Deno.test({
  name: "ControlServer: a read-only socket answers show and monitor, and refuses the rest",
  ...options,
  fn: () =>
    withServer(async (path) => {
      equal((await Deno.lstat(path)).mode! & 0o777, 0o666);
      const c = await client(path);
      await c.send("show forwarding\nreload\nlog verbose\ndump\n");
      const refused = (what: string) => ({
        ok: false,
        body: `${what} is not allowed on the read-only socket "${path}": only show and ` +
          "monitor are\n",
      });
      deepStrictEqual(await c.replies(4), [
        { ok: true, body: "show forwarding\n" },
        refused("reload"),
        refused("log"),
        refused("dump"),
      ]);
      c.close();
    }, { readOnly: true }),
});

Deno.test({
  name: "ControlServer: requests in one write or split get their replies in order",
  ...options,
  fn: () =>
    withServer(async (path) => {
      equal((await Deno.lstat(path)).mode! & 0o777, 0o660);
      const c = await client(path);
      await c.send("show groups --json\nsho");
      await c.send("w upstream\r\nbogus\n");
      deepStrictEqual(await c.replies(3), [
        { ok: true, body: "show groups --json\n" },
        { ok: true, body: "show upstream\n" },
        {
          ok: false,
          body: 'unknown command "bogus": expected one of show, reload, log, dump, monitor\n',
        },
      ]);
      c.close();
    }),
});

Deno.test({
  name: "ControlServer: a line past the limit is one error; the connection goes on",
  ...options,
  fn: () =>
    withServer(async (path) => {
      const c = await client(path);
      await c.send(`show ${"x".repeat(5000)}\ndump\n`);
      const [long, dump] = await c.replies(2);
      deepStrictEqual(long, { ok: false, body: "request longer than 1024 bytes\n" });
      deepStrictEqual(dump, { ok: true, body: "dump\n" });
      c.close();
    }),
});

Deno.test({
  name: "ControlServer: a handler that throws gives an error reply, not a dead server",
  ...options,
  fn: () =>
    withServer(async (path) => {
      const c = await client(path);
      await c.send("dump\n");
      match((await c.replies(1))[0].body, /^internal error: boom/);
      c.close();
    }, {
      handler: {
        answer() {
          throw new Error("boom");
        },
      },
    }),
});

Deno.test({
  name: "ControlServer: a stale socket is replaced; a live one or another file is refused",
  ...options,
  async fn() {
    const path = await scratchSocket();
    try {
      // A daemon that died left its socket: nobody answers on it.
      const dead = Deno.listen({ transport: "unix", path });
      dead.close();
      if (!(await Deno.lstat(path).then(() => true, () => false))) {
        // This runtime removed it on close: make one that stays, as a killed process leaves it.
        const child = new Deno.Command(Deno.execPath(), {
          args: ["eval", `Deno.listen({ transport: "unix", path: ${JSON.stringify(path)} });`],
        }).spawn();
        await child.status;
      }
      const server = await ControlServer.open({ path, handler: echo(), log: quiet });
      await rejects(
        ControlServer.open({ path, handler: echo(), log: quiet }),
        /is in use: another mcast-proxy is running/,
      );
      const c = await client(path);
      await c.send("dump\n");
      deepStrictEqual(await c.replies(1), [{ ok: true, body: "dump\n" }]);
      c.close();
      await server.close();
      equal(await Deno.lstat(path).then(() => "there", () => "removed"), "removed");
      await Deno.writeTextFile(path, "not a socket");
      await rejects(
        ControlServer.open({ path, handler: echo(), log: quiet }),
        /exists and is not a socket: not removing it/,
      );
      equal(await Deno.readTextFile(path), "not a socket");
    } finally {
      await Deno.remove(path).catch(() => {});
    }
  },
});

Deno.test({
  name: "ControlServer: a client that never reads is dropped; the others are served meanwhile",
  ...options,
  fn: () =>
    withServer(async (path, server) => {
      const hog = await client(path);
      const asks = "show config\n".repeat(200);
      // It asks and asks, and reads nothing: 200 replies of 64 KiB would pile up past 1 MiB.
      const asking = hog.send(asks).catch(() => {});
      const other = await client(path);
      const t0 = performance.now();
      await other.send("dump\n");
      deepStrictEqual(await other.replies(1), [{ ok: true, body: "x".repeat(65536) }]);
      ok(performance.now() - t0 < 5000);
      for (let i = 0; i < 100 && server.clients > 1; i++) {
        await new Promise((r) => setTimeout(r, 20));
      }
      equal(server.clients, 1, "the hog was dropped");
      await asking;
      other.close();
      hog.close();
    }, { handler: echo(() => "x".repeat(65536)), maxPendingBytes: 1024 * 1024, stallMs: 100 }),
});

Deno.test({
  name: "ControlServer: 1000 clients at once are all answered; close removes the socket",
  ...options,
  fn: () =>
    withServer(async (path, server) => {
      const clients = await Promise.all(Array.from({ length: 1000 }, () => client(path)));
      await Promise.all(clients.map((c) => c.send("show counters --prometheus\n")));
      const replies = await Promise.all(clients.map((c) => c.replies(1)));
      ok(replies.every(([r]) => r.ok && r.body === "show counters --prometheus\n"));
      equal(server.clients, 1000);
      await server.close();
      equal(await Deno.lstat(path).then(() => "there", () => "removed"), "removed");
      for (const c of clients) c.close();
    }),
});

Deno.test({
  name: "ControlServer: past the most clients a new one is closed at once; the others stay",
  ...options,
  async fn() {
    const path = await scratchSocket();
    const server = await ControlServer.open({ path, handler: echo(), log: quiet, maxClients: 2 });
    try {
      const a = await client(path);
      const b = await client(path);
      const c = await client(path);
      await c.send("dump\n").catch(() => {});
      await rejects(c.replies(1), /closed after 0 replies|reset|pipe/i);
      await a.send("dump\n");
      deepStrictEqual(await a.replies(1), [{ ok: true, body: "dump\n" }]);
      equal(server.clients, 2);
      for (const x of [a, b, c]) x.close();
    } finally {
      await server.close();
      await Deno.remove(path).catch(() => {});
    }
  },
});

Deno.test({
  name:
    "ControlServer: a reply bigger than a client's bound is sent in full to a client that reads",
  ...options,
  fn: () =>
    withServer(async (path, server) => {
      const c = await client(path);
      await c.send("show groups --json\ndump\n");
      const [big, small] = await c.replies(2);
      equal(big.ok, true);
      equal(big.body.length, 5 * MiB);
      ok(big.body.startsWith("show groups --json"), big.body.slice(0, 40));
      equal(small.body.length, 5 * MiB);
      equal(server.clients, 1, "still connected");
      c.close();
    }, { handler: echo((line) => line.padEnd(5 * MiB, "x")) }),
});

Deno.test({
  name: "ControlServer: past the total unsent bytes the client that does not read is dropped",
  ...options,
  fn: () =>
    withServer(async (path, server) => {
      const hog = await client(path);
      // 40 replies of 64 KiB, never read: 2.5 MiB, under the client's bound but past the total.
      await hog.send("show config\n".repeat(40));
      await until("the hog's replies", () => server.unsent > 1 * MiB);
      equal(server.clients, 1, "not dropped while its bytes may still move");
      await new Promise((r) => setTimeout(r, 200));
      const other = await client(path);
      await other.send("dump\n");
      deepStrictEqual(await other.replies(1), [{ ok: true, body: "x".repeat(65536) }]);
      await until("the hog dropped", () => server.clients === 1 && server.unsent === 0);
      other.close();
      hog.close();
    }, {
      handler: echo(() => "x".repeat(65536)),
      maxPendingBytes: 8 * MiB,
      maxTotalPendingBytes: 1 * MiB,
      stallMs: 100,
    }),
});

Deno.test({
  name: "ControlServer: clients that read keep their replies past the total unsent bytes",
  ...options,
  fn: () =>
    withServer(async (path, server) => {
      const clients = await Promise.all([client(path), client(path), client(path)]);
      await Promise.all(clients.map((c) => c.send("dump\n")));
      const replies = await Promise.all(clients.map((c) => c.replies(1)));
      ok(replies.every(([r]) => r.ok && r.body.length === 2 * MiB));
      equal(server.clients, 3);
      for (const c of clients) c.close();
    }, { handler: echo(() => "x".repeat(2 * MiB)), maxTotalPendingBytes: 1 * MiB }),
});

Deno.test({
  name: "ControlServer: the read-only socket takes fewer clients at once than the other",
  ...options,
  fn: () =>
    withServer(async (path, server) => {
      const n = DEFAULT_READ_ONLY_MAX_CLIENTS;
      const clients = await Promise.all(Array.from({ length: n + 1 }, () => client(path)));
      await until("the clients accepted", () => server.clients === n);
      const answered = await Promise.all(clients.map(async (c) => {
        await c.send("show upstream\n").catch(() => {});
        return c.replies(1).then(() => true, () => false);
      }));
      equal(answered.filter((a) => a).length, n);
      equal(server.clients, n);
      for (const c of clients) c.close();
    }, { readOnly: true }),
});

Deno.test({
  name: "ControlServer: 1000 requests in one write are all answered in order, a few per turn",
  ...options,
  async fn() {
    let answered = 0;
    let firstTimer: number | undefined;
    const handler: ControlHandler = {
      answer(r) {
        if (answered++ === 0) setTimeout(() => firstTimer = answered, 0);
        return { ok: true, body: `${formatRequest(r)}\n` };
      },
    };
    await withServer(async (path) => {
      const c = await client(path);
      const groups = Array.from({ length: 1000 }, (_, i) => `239.1.${i >> 8}.${i & 255}`);
      await c.send(groups.map((g) => `show groups ${g}\n`).join(""));
      const replies = await c.replies(1000);
      deepStrictEqual(replies.map((r) => r.body), groups.map((g) => `show groups ${g}\n`));
      ok(firstTimer !== undefined && firstTimer <= 2 * ANSWERS_PER_TURN, `${firstTimer}`);
      c.close();
    }, { handler });
  },
});

Deno.test({
  name: "ControlServer: each connection is one session to the handler",
  ...options,
  async fn() {
    const seen: [string, ControlSession][] = [];
    const handler: ControlHandler = {
      answer(r, session) {
        seen.push([formatRequest(r), session]);
        return { ok: true, body: "" };
      },
    };
    await withServer(async (path) => {
      const a = await client(path);
      const b = await client(path);
      await a.send("dump\n");
      await a.replies(1);
      await b.send("show upstream\n");
      await b.replies(1);
      await a.send("show counters\n");
      await a.replies(2);
      deepStrictEqual(seen.map(([line]) => line), ["dump", "show upstream", "show counters"]);
      equal(seen[0][1], seen[2][1], "a's requests share a session");
      ok(seen[0][1] !== seen[1][1] && seen[0][1].id !== seen[1][1].id, "b's is another");
      a.close();
      b.close();
    }, { handler });
  },
});
