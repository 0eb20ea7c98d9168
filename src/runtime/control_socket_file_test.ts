import { deepStrictEqual, equal, ok, rejects } from "node:assert/strict";
import { clearStaleSocket, removeOwnSocket, socketIdentity } from "./control_socket_file.ts";
import { scratchSocket } from "../../tests/fakes/scratch.ts";

const exists = (path: string) => Deno.lstat(path).then(() => true, () => false);

Deno.test({
  name: "removeOwnSocket removes the socket bound, not one bound at the path since",
  sanitizeResources: false,
  async fn() {
    const path = await scratchSocket();
    const first = Deno.listen({ transport: "unix", path });
    const second: Deno.UnixListener[] = [];
    try {
      const ours = await socketIdentity(path);
      ok(ours !== undefined);
      // A new daemon took the path: it removed the socket it found and bound its own.
      await Deno.remove(path);
      second.push(Deno.listen({ transport: "unix", path }));
      const theirs = await socketIdentity(path);
      ok(theirs !== undefined && theirs.ino !== ours.ino);
      await removeOwnSocket(path, ours);
      deepStrictEqual(await socketIdentity(path), theirs, "the new daemon's socket stays");
      await removeOwnSocket(path, theirs);
      equal(await exists(path), false);
      await removeOwnSocket(path, theirs); // nothing there: fine
    } finally {
      first.close();
      for (const l of second) l.close();
      await Deno.remove(path).catch(() => {});
    }
  },
});

Deno.test("removeOwnSocket leaves a file that is not a socket; socketIdentity has none for it", async () => {
  const path = await scratchSocket();
  try {
    await Deno.writeTextFile(path, "not a socket");
    equal(await socketIdentity(path), undefined);
    const info = await Deno.lstat(path);
    await removeOwnSocket(path, { dev: info.dev, ino: info.ino! });
    await removeOwnSocket(path, undefined);
    equal(await Deno.readTextFile(path), "not a socket");
    await rejects(clearStaleSocket(path), /exists and is not a socket: not removing it/);
  } finally {
    await Deno.remove(path).catch(() => {});
  }
});

Deno.test("clearStaleSocket: nothing at the path is fine", async () => {
  const path = await scratchSocket();
  await clearStaleSocket(path);
  equal(await exists(path), false);
});

Deno.test({
  name: "clearStaleSocket removes a socket nobody listens on (its daemon was killed)",
  sanitizeResources: false,
  async fn() {
    const path = await scratchSocket();
    const child = new Deno.Command(Deno.execPath(), {
      args: [
        "eval",
        `Deno.listen({ transport: "unix", path: ${JSON.stringify(path)} }); console.log("up"); ` +
        "setInterval(() => {}, 1000);",
      ],
      stdout: "piped",
    }).spawn();
    try {
      const reader = child.stdout.getReader();
      await reader.read(); // "up": bound
      reader.releaseLock();
      child.kill("SIGKILL"); // as a crash leaves it: the socket stays, nobody listens
      await child.status;
      equal((await Deno.lstat(path)).isSocket, true);
      await clearStaleSocket(path);
      equal(await exists(path), false);
    } finally {
      await child.stdout.cancel().catch(() => {});
      await Deno.remove(path).catch(() => {});
    }
  },
});

Deno.test({
  name: "clearStaleSocket keeps a live socket whose accept queue is full, and says why",
  sanitizeResources: false,
  async fn() {
    const path = await scratchSocket();
    const listener = Deno.listen({ transport: "unix", path });
    const waiting: Deno.Conn[] = [];
    try {
      // The daemon is busy and accepts nothing: connections queue up until the queue is full.
      let failed: unknown;
      while (failed === undefined && waiting.length < 10000) {
        await Deno.connect({ transport: "unix", path }).then((c) => waiting.push(c), (e) => {
          failed = e;
        });
      }
      ok(failed instanceof Deno.errors.WouldBlock, String(failed));
      const ours = await socketIdentity(path);
      await rejects(
        clearStaleSocket(path),
        new RegExp(
          `^Error: "${path}" may be in use: connecting to it failed with WouldBlock: .+; not ` +
            "removing it \\(if no mcast-proxy is running, remove it and start again\\)$",
        ),
      );
      deepStrictEqual(await socketIdentity(path), ours, "the live socket stays");
    } finally {
      for (const c of waiting) c.close();
      listener.close();
      await Deno.remove(path).catch(() => {});
    }
  },
});

Deno.test("clearStaleSocket removes the socket only when the connection is refused", async () => {
  const path = await scratchSocket();
  const listener = Deno.listen({ transport: "unix", path });
  try {
    const fail = (err: Error) => () => Promise.reject(err);
    await rejects(
      clearStaleSocket(path, fail(new Deno.errors.PermissionDenied("Permission denied"))),
      /may be in use: connecting to it failed with PermissionDenied: Permission denied; not/,
    );
    await rejects(
      clearStaleSocket(path, fail(new Error("odd"))),
      /may be in use: connecting to it failed with Error: odd; not removing it/,
    );
    equal(await exists(path), true, "kept while it may be in use");
    await rejects(clearStaleSocket(path), /is in use: another mcast-proxy is running/);
    await clearStaleSocket(path, fail(new Deno.errors.ConnectionRefused("Connection refused")));
    equal(await exists(path), false, "nobody listens: removed");
  } finally {
    listener.close();
    await Deno.remove(path).catch(() => {});
  }
});
