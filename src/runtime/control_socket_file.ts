/**
 * The control socket's file in the file system: making way for it at the start (a dead daemon's
 * socket is replaced, a live one's or any other file is not), and removing it at exit only while
 * it is still the socket this daemon bound (a new daemon may have bound the path since).
 *
 * @module
 */

import { messageOf } from "../log.ts";

/** Which file a bound socket is: its device and inode. */
export interface SocketIdentity {
  dev: number;
  ino: number;
}

/** Connects to the Unix socket at `path` (`Deno.connect`; tests stand in their own). */
export type ConnectUnix = (path: string) => Promise<Deno.Conn>;

const connectUnix: ConnectUnix = (path) => Deno.connect({ transport: "unix", path });

/**
 * Makes way for a socket at `path`: nothing there is fine; a socket nobody listens on (the
 * connection is refused) is a daemon's that died, removed; a socket that answers, or anything
 * else, is an error. So is a connection that fails any other way: a live daemon too busy to
 * accept (its queue full: `WouldBlock`) must keep its socket.
 */
export async function clearStaleSocket(
  path: string,
  connect: ConnectUnix = connectUnix,
): Promise<void> {
  let info: Deno.FileInfo;
  try {
    info = await Deno.lstat(path);
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return;
    throw err;
  }
  if (!info.isSocket) {
    throw new Error(`"${path}" exists and is not a socket: not removing it`);
  }
  try {
    const conn = await connect(path);
    conn.close();
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return; // removed meanwhile
    if (!(err instanceof Deno.errors.ConnectionRefused)) throw unsure(path, err);
    await Deno.remove(path);
    return;
  }
  throw new Error(`"${path}" is in use: another mcast-proxy is running`);
}

/** The error for a socket that may be in use: connecting failed, though not as refused. */
function unsure(path: string, err: unknown): Error {
  const name = err instanceof Error ? err.name : "error";
  return new Error(
    `"${path}" may be in use: connecting to it failed with ${name}: ${messageOf(err)}; ` +
      "not removing it (if no mcast-proxy is running, remove it and start again)",
  );
}

/** The identity of the socket at `path`, or undefined when it cannot be had. */
export async function socketIdentity(path: string): Promise<SocketIdentity | undefined> {
  try {
    return identityOf(await Deno.lstat(path));
  } catch {
    return undefined;
  }
}

/**
 * Removes the socket at `path` if it is still the one of `identity`; anything else there (a
 * socket a new daemon bound, a file) is left alone, and so is everything when the identity is
 * unknown. Nothing there, or a path out of reach (the jail), is fine.
 */
export async function removeOwnSocket(
  path: string,
  identity: SocketIdentity | undefined,
): Promise<void> {
  if (identity === undefined) return;
  try {
    const now = identityOf(await Deno.lstat(path));
    if (now !== undefined && now.dev === identity.dev && now.ino === identity.ino) {
      await Deno.remove(path);
    }
  } catch {
    // Gone already, or the jail hides it: the next start replaces it as stale.
  }
}

function identityOf(info: Deno.FileInfo): SocketIdentity | undefined {
  if (!info.isSocket || info.dev === null || info.ino === null) return undefined;
  return { dev: info.dev, ino: info.ino };
}
