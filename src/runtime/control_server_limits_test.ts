import { deepStrictEqual, equal, match, ok } from "node:assert/strict";
import { formatRequest } from "./control_protocol.ts";
import { type ControlHandler, type ControlServer, DEFAULT_IDLE_MS } from "./control_server.ts";
import { client, echo, MiB, options, sleep, until, withServer } from "./control_server_testing.ts";

Deno.test({
  name: "ControlServer: the unsent bytes of all clients never pass their bound and one reply",
  ...options,
  async fn() {
    const size = 512 * 1024;
    const limit = 2 * MiB;
    let server: ControlServer | undefined;
    let peak = 0;
    const handler: ControlHandler = {
      answer(r) {
        peak = Math.max(peak, server?.unsent ?? 0);
        return { ok: true, body: formatRequest(r).padEnd(size, "x") };
      },
    };
    await withServer(async (path, s) => {
      server = s;
      let sampled = 0;
      let done = false;
      const sampling = (async () => {
        while (!done) {
          sampled = Math.max(sampled, s.unsent);
          await sleep(1);
        }
      })();
      // 16 clients ask for 10 replies each at once (5 MiB each, 80 MiB in all) and read them
      // slowly: their bytes move, so none of them is dropped, and none may pile up past the bound.
      const clients = await Promise.all(Array.from({ length: 16 }, () => client(path)));
      await Promise.all(clients.map((c) => c.send("show config\n".repeat(10))));
      const replies = await Promise.all(clients.map((c) => c.replies(10, 2)));
      done = true;
      await sampling;
      ok(replies.every((rs) => rs.every((r) => r.ok && r.body.length === size)));
      equal(s.clients, 16, "none dropped");
      ok(peak <= limit, `${peak} unsent when a reply was made, past ${limit}`);
      ok(sampled <= limit + size + 64, `${sampled} unsent, past ${limit} and one reply`);
      ok(sampled > 0);
      for (const c of clients) c.close();
    }, { handler, maxTotalPendingBytes: limit });
  },
});

Deno.test({
  name: "ControlServer: past the total unsent bytes a waiting request is answered once the " +
    "client that does not read is dropped",
  ...options,
  fn: () =>
    withServer(async (path, server) => {
      const hog = await client(path);
      // 40 replies of 64 KiB asked for and never read: past the 1 MiB of all clients.
      await hog.send("show config\n".repeat(40));
      await until("the hog's replies", () => server.unsent > 1 * MiB);
      const other = await client(path);
      const t0 = performance.now();
      await other.send("dump\n"); // waits: nothing else comes that could shed the hog
      deepStrictEqual(await other.replies(1), [{ ok: true, body: "x".repeat(65536) }]);
      const waited = performance.now() - t0;
      ok(waited < 3000, `${waited} ms`);
      ok(server.unsent <= 1 * MiB + 65536 + 64, `${server.unsent}`);
      equal(await hog.closedWithin(1000), true, "the hog was dropped");
      await until("the hog gone", () => server.clients === 1);
      other.close();
      hog.close();
    }, {
      handler: echo(() => "x".repeat(65536)),
      maxPendingBytes: 8 * MiB,
      maxTotalPendingBytes: 1 * MiB,
      stallMs: 200,
    }),
});

Deno.test({
  name: "ControlServer: a client that shuts its side after its requests gets its replies in full",
  ...options,
  fn: () =>
    withServer(async (path, server) => {
      const c = await client(path);
      await c.send("dump\nshow config\n");
      await c.conn.closeWrite(); // as `nc -N` and socat do
      await sleep(50); // the server sees the end before the client reads a byte
      const replies = await c.replies(2);
      deepStrictEqual(replies.map((r) => [r.ok, r.body.length, r.body.slice(0, 11)]), [
        [true, 4 * MiB, "dump".padEnd(11, "x")],
        [true, 4 * MiB, "show config"],
      ]);
      equal(await c.closedWithin(2000), true, "closed once all is written");
      await until("the client gone", () => server.clients === 0);
      equal(server.unsent, 0);
      c.close();
    }, { handler: echo((line) => line.padEnd(4 * MiB, "x")) }),
});

Deno.test({
  name: "ControlServer: a monitor stream ends when the client shuts its side",
  ...options,
  async fn() {
    let stopped = false;
    const handler: ControlHandler = {
      answer: () => ({
        start(send) {
          send("first");
          return () => stopped = true;
        },
      }),
    };
    await withServer(async (path, server) => {
      const c = await client(path);
      await c.send("monitor\n");
      await c.conn.closeWrite();
      equal(await c.closedWithin(2000), true);
      await until("the client gone", () => server.clients === 0);
      equal(stopped, true);
      c.close();
    }, { handler });
  },
});

Deno.test("ControlServer: clients idle a minute by default", () => {
  equal(DEFAULT_IDLE_MS, 60_000);
});

Deno.test({
  name: "ControlServer: an idle client is dropped; one that asks, or streams, stays",
  ...options,
  async fn() {
    const handler: ControlHandler = {
      answer: (r) => r.command === "monitor" ? { start: () => () => {} } : { ok: true, body: "" },
    };
    await withServer(async (path, server) => {
      const silent = await client(path);
      const answered = await client(path);
      const asking = await client(path);
      const streaming = await client(path);
      await answered.send("dump\n");
      await answered.replies(1);
      await streaming.send("monitor\n");
      const t0 = performance.now();
      const ends = [silent.closedWithin(2000), answered.closedWithin(2000)];
      for (let i = 0; i < 12; i++) {
        await asking.send("show upstream\n");
        await asking.replies(i + 1);
        await sleep(40);
      }
      deepStrictEqual(await Promise.all(ends), [true, true]);
      ok(performance.now() - t0 >= 150, "not before their time");
      equal(server.clients, 2, "the one that asks and the stream stay");
      equal(await asking.closedWithin(50), false);
      for (const c of [silent, answered, asking, streaming]) c.close();
    }, { handler, idleMs: 200 });
  },
});

Deno.test({
  name: "ControlServer: idle clients cannot hold the read-only socket's places for long",
  ...options,
  fn: () =>
    withServer(async (path, server) => {
      const idle = await Promise.all(Array.from({ length: 4 }, () => client(path)));
      await until("the idle clients accepted", () => server.clients === 4);
      const refused = await client(path);
      equal(await refused.closedWithin(1000), true, "no place left");
      await until("the idle clients dropped", () => server.clients === 0);
      const c = await client(path);
      await c.send("show upstream\n");
      deepStrictEqual(await c.replies(1), [{ ok: true, body: "show upstream\n" }]);
      for (const x of [...idle, refused, c]) x.close();
    }, { readOnly: true, maxClients: 4, idleMs: 200 }),
});

Deno.test({
  name: "ControlServer: a client whose reply does not move for the idle time is dropped",
  ...options,
  fn: () =>
    withServer(async (path, server) => {
      const c = await client(path);
      await c.send("show config\n"); // 1 MiB, more than the socket takes: it waits, unread
      await until("the reply queued", () => server.unsent > 0);
      await until("the client dropped", () => server.clients === 0, 3000);
      equal(await c.closedWithin(1000), true);
      equal(server.unsent, 0);
      c.close();
    }, { handler: echo(() => "x".repeat(MiB)), idleMs: 300 }),
});

Deno.test({
  name: "ControlServer: monitors take at most half the read-only socket's places",
  ...options,
  fn: () =>
    withServer(async (path) => {
      const watchers = [await client(path), await client(path)];
      const head = new Uint8Array(64);
      for (const w of watchers) {
        await w.send("monitor\n");
        ok((await w.conn.read(head) ?? 0) > 0, "the stream began");
      }
      const third = await client(path);
      await third.send("monitor\n");
      const [refused] = await third.replies(1);
      equal(refused.ok, false);
      match(refused.body, /^monitor is refused on the read-only socket .*: 2 monitors already/);
      await third.send("show upstream\n");
      deepStrictEqual((await third.replies(2))[1], { ok: true, body: "" });
      for (const c of [...watchers, third]) c.close();
    }, {
      readOnly: true,
      maxClients: 4,
      handler: {
        answer: (r) => r.command === "monitor" ? { start: () => () => {} } : { ok: true, body: "" },
      },
    }),
});
