import { deepStrictEqual, equal, ok } from "node:assert/strict";
import { formatRequest } from "./control_protocol.ts";
import type { ControlHandler, ControlServer } from "./control_server.ts";
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
