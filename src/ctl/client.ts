/**
 * The control socket's client (mcast-proxyctl(8)): one request and its reply, or the stream of
 * events that answers `monitor`, over the daemon's Unix socket (`control_protocol.ts`).
 *
 * Every way the daemon can be out of reach is a {@link ControlError}: its `kind` for a program,
 * its message for a person, saying what to do about it (start the daemon, use another user,
 * name another socket). A reply the daemon sends, even an `error` one, is not an exception.
 *
 * @example
 * ```ts
 * const reply = await request(DEFAULT_CONTROL_SOCKET, { command: "dump", format: "text" });
 * if (reply.ok) console.log(reply.body);
 * ```
 *
 * @module
 */

import { messageOf } from "../log.ts";
import {
  type ControlReply,
  type ControlRequest,
  formatRequest,
  LineReader,
  type ReadReply,
  ReplyReader,
} from "../runtime/control_protocol.ts";

/** How long a request waits for the daemon, connecting and answering (ms). */
export const DEFAULT_TIMEOUT_MS = 10_000;

/** The longest event line of a `monitor` stream, its newline included. */
export const MAX_EVENT_BYTES = 64 * 1024;

/** Why the daemon could not be reached or understood. */
export type ControlErrorKind =
  /** Nothing at the path: the daemon is not running, or listens elsewhere. */
  | "no-socket"
  /** Something else than a socket at the path. */
  | "not-socket"
  /** The socket's mode keeps this user out. */
  | "permission"
  /** A socket nobody accepts on: left by a daemon that stopped. */
  | "stale"
  /** The daemon closed the connection before its reply ended, or ended a stream. */
  | "closed"
  /** No reply in time. */
  | "timeout"
  /** Bytes that are not a reply. */
  | "bad-reply"
  /** Any other failure to connect, write or read. */
  | "io";

/** The daemon could not be reached or understood; the message says why and what to do. */
export class ControlError extends Error {
  /** Why, for a program. */
  readonly kind: ControlErrorKind;
  /** The socket's path. */
  readonly path: string;

  /** An error of `kind` about the socket at `path`. */
  constructor(kind: ControlErrorKind, opts: { path: string; message: string }) {
    super(opts.message);
    this.name = "ControlError";
    this.kind = kind;
    this.path = opts.path;
  }
}

/** Options of {@link request}. */
export interface RequestOptions {
  /** How long to wait for the whole exchange (default {@link DEFAULT_TIMEOUT_MS}). */
  timeoutMs?: number;
}

/**
 * Sends `req` to the daemon listening at `path` and resolves to its reply, `ok` or not. Rejects
 * with a {@link ControlError} when the daemon cannot be reached, closes the connection before
 * the end of its reply, answers something else than a reply, or takes longer than the timeout.
 */
export async function request(
  path: string,
  req: ControlRequest,
  opts: RequestOptions = {},
): Promise<ControlReply> {
  using guard = new Guard(path, { timeoutMs: opts.timeoutMs ?? DEFAULT_TIMEOUT_MS });
  using conn = await connect(path, guard);
  await send(conn, { path, guard, req });
  const got = await readReply(conn, { path, guard, reader: new ReplyReader() });
  if (got.kind === "stream") {
    throw badReply(path, "a stream of events where a reply was expected");
  }
  return got.reply;
}

/** Options of {@link monitor}. */
export interface MonitorOptions {
  /** Takes each event line, without its newline; the next is read when it settles. */
  onLine: (line: string) => void | Promise<void>;
  /** Ends the stream: {@link monitor} then resolves to `stopped`. */
  signal: AbortSignal;
  /** Events as text lines or as one JSON object per line (default text). */
  format?: "text" | "json";
  /** How long to wait for the daemon to start the stream (default {@link DEFAULT_TIMEOUT_MS}). */
  timeoutMs?: number;
}

/**
 * How a {@link monitor} ended: stopped by its signal, or answered with a reply instead of a
 * stream (an `error` one when the daemon refused).
 */
export type MonitorEnd = { kind: "stopped" } | { kind: "reply"; reply: ControlReply };

/**
 * Asks the daemon at `path` for its events and hands each line to `onLine` as it comes, until
 * the signal aborts (`stopped`). The timeout covers the start of the stream only: after it, the
 * stream may be quiet for as long as it likes. Rejects with a {@link ControlError} when the
 * daemon cannot be reached or goes away (`closed`), and with whatever `onLine` throws.
 */
export async function monitor(path: string, opts: MonitorOptions): Promise<MonitorEnd> {
  const { onLine, signal } = opts;
  if (signal.aborted) return { kind: "stopped" };
  using guard = new Guard(path, { timeoutMs: opts.timeoutMs ?? DEFAULT_TIMEOUT_MS, signal });
  try {
    using conn = await connect(path, guard);
    await send(conn, { path, guard, req: { command: "monitor", format: opts.format ?? "text" } });
    const reader = new ReplyReader();
    const got = await readReply(conn, { path, guard, reader });
    if (got.kind === "reply") return got;
    guard.endTimeout();
    const lines = new LineReader(MAX_EVENT_BYTES);
    const buffer = new Uint8Array(READ_BYTES);
    for (let chunk = reader.takeRest();; chunk = await readChunk(conn, { path, guard, buffer })) {
      for (const line of lines.push(chunk)) {
        if (line.kind === "too-long") {
          throw badReply(path, `an event line longer than ${MAX_EVENT_BYTES} bytes`);
        }
        await onLine(line.line);
        if (signal.aborted) return { kind: "stopped" };
      }
    }
  } catch (err) {
    if (err instanceof Stopped) return { kind: "stopped" };
    throw err;
  }
}

/** Bytes asked for by each read. */
const READ_BYTES = 64 * 1024;

/** What an abort signal turns a pending step into. */
class Stopped extends Error {}

/**
 * The deadline and the signal of one exchange, as a promise that rejects when either comes
 * ({@link race} each step with it); disposing of it clears the timer.
 */
class Guard {
  readonly #interrupted: Promise<never>;
  readonly #signal: AbortSignal | undefined;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #onAbort: (() => void) | undefined;

  constructor(path: string, opts: { timeoutMs: number; signal?: AbortSignal }) {
    this.#signal = opts.signal;
    this.#interrupted = new Promise<never>((_, reject) => {
      this.#timer = setTimeout(() => reject(timedOut(path, opts.timeoutMs)), opts.timeoutMs);
      if (opts.signal !== undefined) {
        this.#onAbort = () => reject(new Stopped());
        opts.signal.addEventListener("abort", this.#onAbort, { once: true });
      }
    });
    // Nobody may be racing when it rejects: that is no unhandled rejection.
    this.#interrupted.catch(() => {});
  }

  /** `step`, unless the deadline or the signal comes first. */
  race<T>(step: Promise<T>): Promise<T> {
    return Promise.race([step, this.#interrupted]);
  }

  /** No deadline from now on; the signal still counts. */
  endTimeout(): void {
    clearTimeout(this.#timer);
  }

  [Symbol.dispose](): void {
    clearTimeout(this.#timer);
    if (this.#onAbort !== undefined) this.#signal?.removeEventListener("abort", this.#onAbort);
  }
}

/** A connection to `path`, closed when disposed of. */
interface Connection extends Disposable {
  read(buffer: Uint8Array): Promise<number | null>;
  write(bytes: Uint8Array): Promise<number>;
}

/**
 * Connects to the socket at `path`. A connection that comes after the guard gave up is closed
 * as soon as it comes.
 */
async function connect(path: string, guard: Guard): Promise<Connection> {
  const connecting = Deno.connect({ transport: "unix", path });
  let conn: Deno.UnixConn;
  try {
    conn = await guard.race(connecting);
  } catch (err) {
    connecting.then((c) => c.close(), () => {});
    if (err instanceof ControlError || err instanceof Stopped) throw err;
    throw await connectError(path, err);
  }
  return {
    read: (buffer) => conn.read(buffer),
    write: (bytes) => conn.write(bytes),
    [Symbol.dispose]() {
      try {
        conn.close();
      } catch {
        // Closed already.
      }
    },
  };
}

/** Writes the request line. */
async function send(
  conn: Connection,
  opts: { path: string; guard: Guard; req: ControlRequest },
): Promise<void> {
  const bytes = new TextEncoder().encode(`${formatRequest(opts.req)}\n`);
  try {
    for (let at = 0; at < bytes.length;) {
      at += await opts.guard.race(conn.write(bytes.subarray(at)));
    }
  } catch (err) {
    throw transferError(opts.path, err, "sending the request");
  }
}

/** Reads until the reader has a reply or the start of a stream. */
async function readReply(
  conn: Connection,
  opts: { path: string; guard: Guard; reader: ReplyReader },
): Promise<Exclude<ReadReply, { kind: "bad" }>> {
  const { path, guard, reader } = opts;
  const buffer = new Uint8Array(READ_BYTES);
  let received = 0;
  for (;;) {
    let n: number | null;
    try {
      n = await guard.race(conn.read(buffer));
    } catch (err) {
      throw transferError(path, err, "reading the reply");
    }
    if (n === null) {
      const what = received === 0 ? "without a reply" : "before the end of its reply";
      throw new ControlError("closed", {
        path,
        message: `mcast-proxy closed the connection ${what}`,
      });
    }
    received += n;
    const [got] = reader.push(buffer.subarray(0, n));
    if (got === undefined) continue;
    if (got.kind === "bad") throw badReply(path, got.reason);
    return got;
  }
}

/** The next bytes of a stream; its end is the daemon going away. */
async function readChunk(
  conn: Connection,
  opts: { path: string; guard: Guard; buffer: Uint8Array },
): Promise<Uint8Array> {
  const { path, guard, buffer } = opts;
  let n: number | null;
  try {
    n = await guard.race(conn.read(buffer));
  } catch (err) {
    throw transferError(path, err, "reading events");
  }
  if (n === null) {
    const message = "mcast-proxy closed the monitor stream (the daemon stopped?)";
    throw new ControlError("closed", { path, message });
  }
  return buffer.subarray(0, n);
}

/** The error for a failed connect, in words that say what to do. */
async function connectError(path: string, err: unknown): Promise<ControlError> {
  const at = JSON.stringify(path);
  if (err instanceof Deno.errors.NotFound) {
    return new ControlError("no-socket", {
      path,
      message: `is mcast-proxy running? no control socket at ${at}`,
    });
  }
  if (err instanceof Deno.errors.PermissionDenied) {
    const group = await socketGroup(path);
    return new ControlError("permission", {
      path,
      message: `permission denied on the control socket ${at}: run as root or a member of ` +
        `the socket's group${group === undefined ? "" : ` (${group})`}`,
    });
  }
  if (err instanceof Deno.errors.ConnectionRefused) {
    const info = await Deno.lstat(path).catch(() => undefined);
    if (info !== undefined && !info.isSocket) {
      return new ControlError("not-socket", {
        path,
        message: `${at} is not a socket: is it mcast-proxy's control socket?`,
      });
    }
    return new ControlError("stale", {
      path,
      message: `mcast-proxy is not running: nobody listens on the control socket ${at} ` +
        "(left by a daemon that stopped)",
    });
  }
  return new ControlError("io", {
    path,
    message: `cannot connect to the control socket ${at}: ${messageOf(err)}`,
  });
}

/** The error for a failed write or read; the guard's own errors pass unchanged. */
function transferError(path: string, err: unknown, doing: string): Error {
  if (err instanceof ControlError || err instanceof Stopped) return err;
  if (err instanceof Deno.errors.BrokenPipe || err instanceof Deno.errors.ConnectionReset) {
    return new ControlError("closed", {
      path,
      message: `mcast-proxy closed the connection while ${doing}`,
    });
  }
  return new ControlError("io", {
    path,
    message: `${doing} on ${JSON.stringify(path)} failed: ${messageOf(err)}`,
  });
}

function timedOut(path: string, timeoutMs: number): ControlError {
  return new ControlError("timeout", {
    path,
    message: `no reply from mcast-proxy on ${JSON.stringify(path)} within ${timeoutMs / 1000} s`,
  });
}

function badReply(path: string, reason: string): ControlError {
  return new ControlError("bad-reply", {
    path,
    message: `not a reply of mcast-proxy on ${JSON.stringify(path)}: ${reason}`,
  });
}

/**
 * The socket's group as a person names it: `"NAME"` from /etc/group, else `gid N`; undefined
 * when the socket cannot be looked at.
 */
async function socketGroup(path: string): Promise<string | undefined> {
  const gid = await Deno.stat(path).then((info) => info.gid, () => null);
  if (gid === null) return undefined;
  const groups = await Deno.readTextFile("/etc/group").catch(() => "");
  const name = groupName(groups, gid);
  return name === undefined ? `gid ${gid}` : JSON.stringify(name);
}

/** The name of group `gid` in the text of /etc/group. */
export function groupName(groupFile: string, gid: number): string | undefined {
  for (const line of groupFile.split("\n")) {
    const [name, , id] = line.split(":");
    if (id !== undefined && name !== "" && Number(id) === gid && /^\d+$/.test(id)) return name;
  }
  return undefined;
}
