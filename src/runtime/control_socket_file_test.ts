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
