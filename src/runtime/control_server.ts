/**
 * The control socket's server (mcast-proxyctl(8)): a Unix stream socket, bound as root before
 * the jail (a bound socket keeps working inside it), mode 0660. Each connection carries request
 * lines (`control_protocol.ts`); each gets one framed reply from the {@link ControlHandler}.
 *
 * Nothing a client does can hold the daemon up: reading and writing are the runtime's own
 * asynchronous I/O, answers are computed synchronously between two turns of the event loop, a
 * client's unsent replies are bounded (past {@link ControlServerOptions.maxPendingBytes} it is
 * dropped: it does not read), so are all clients' together (past
 * {@link ControlServerOptions.maxTotalPendingBytes} no request is answered until they go down),
 * and so is the number of clients (fewer on the read-only socket anyone may use), idle ones
 * dropped after {@link ControlServerOptions.idleMs}. Many requests in one read are answered a
 * few at a time, the daemon's loop running in between. A client may shut its side once it has
 * sent its requests (as `nc -N` does): it gets their replies in full, then the connection is
 * closed.
 *
 * @module
 */

import { messageOf } from "../log.ts";
import {
  type ControlReply,
  type ControlRequest,
  encodeReply,
  MAX_REQUEST_BYTES,
  parseRequest,
  type ReadLine,
  STREAM_HEADER,
} from "./control_protocol.ts";
import {
  clearStaleSocket,
  removeOwnSocket,
  type SocketIdentity,
  socketIdentity,
} from "./control_socket_file.ts";
import { type Client, ControlClients, type ControlSession } from "./control_clients.ts";

export type { ControlSession } from "./control_clients.ts";

const encoder = new TextEncoder();

/**
 * A reply that is a stream of lines (`monitor`): `start` is called with the function that sends
 * one line to the client and returns the function that stops the stream, called when the client
 * goes.
 */
export interface ControlStream {
  /** Starts the stream. */
  start(send: (line: string) => void): () => void;
}

/** What answers the requests: the daemon. */
export interface ControlHandler {
  /** The reply to a well-formed request from `session`, or a stream of lines. */
  answer(request: ControlRequest, session: ControlSession): ControlReply | ControlStream;
}

/** Clients at once on a control socket, by default. */
export const DEFAULT_MAX_CLIENTS = 1024;

/** Clients at once on a read-only socket (anyone may connect), by default. */
export const DEFAULT_READ_ONLY_MAX_CLIENTS = 64;

/** How long a client may stay idle before it is dropped, by default (ms). */
export const DEFAULT_IDLE_MS = 60_000;

/** Options of {@link ControlServer.open}. */
export interface ControlServerOptions {
  /** The socket's path. */
  path: string;
  /** Its mode (default 0660: root and the socket's group). */
  mode?: number;
  /** Answers the requests. */
  handler: ControlHandler;
  /**
   * Clients at once (default {@link DEFAULT_MAX_CLIENTS}, {@link DEFAULT_READ_ONLY_MAX_CLIENTS}
   * on a read-only socket); one more is closed at once.
   */
  maxClients?: number;
  /**
   * Unsent bytes a client may hold when a new reply comes (default 4 MiB). A reply is always
   * taken when less is queued, however big. Past them its next request waits for them to go
   * down, and a client whose bytes do not move for {@link stallMs} (it does not read) is
   * dropped; so is a `monitor` client at its next event.
   */
  maxPendingBytes?: number;
  /**
   * Unsent bytes of all clients together (default 32 MiB). Past them no request is answered
   * (the clients' next requests wait unread) until the total is within them again, so it passes
   * them by one reply at most; and the client with the most that is not reading
   * ({@link stallMs}) is dropped, until the total is within them.
   */
  maxTotalPendingBytes?: number;
  /**
   * How long a client's unsent bytes stay untouched before it counts as not reading (ms, default
   * 1000).
   */
  stallMs?: number;
  /**
   * How long a client may stay idle (ms, default {@link DEFAULT_IDLE_MS}): one that gets no
   * stream, has no request being answered, and for that long sends no request and takes none of
   * its unsent bytes is dropped, so that idle connections cannot hold every place.
   */
  idleMs?: number;
  /** Logs (debug per client trouble, warn when the listener fails). */
  log: (level: "warn" | "debug", message: string) => void;
  /**
   * A read-only socket: only `show` and `monitor` are answered, anything else is refused (the
   * restricted socket of OpenBSD's bgpd).
   */
  readOnly?: boolean;
}

/** What a read-only socket answers. */
const READ_ONLY_COMMANDS: readonly string[] = ["show", "monitor"];

/** How long a failed accept waits before the next (ms). */
const ACCEPT_RETRY_MS = 100;

/** Requests of one client answered in a row before the daemon's loop gets a turn. */
export const ANSWERS_PER_TURN = 16;

/** A control socket: {@link open} it, {@link close} it at exit. */
export class ControlServer {
  readonly #opts: Required<Omit<ControlServerOptions, "mode">>;
  readonly #listener: Deno.UnixListener;
  readonly #identity: SocketIdentity | undefined;
  readonly #clients: ControlClients;
  #closed = false;
  #closing: Promise<void> | undefined;
  /** Ends the pause after a failed accept (set during it). */
  #wake: (() => void) | undefined;
  readonly #accepting: Promise<void>;

  private constructor(
    opts: ControlServerOptions,
    bound: { listener: Deno.UnixListener; identity: SocketIdentity | undefined },
  ) {
    const readOnly = opts.readOnly ?? false;
    this.#opts = {
      path: opts.path,
      handler: opts.handler,
      maxClients: opts.maxClients ??
        (readOnly ? DEFAULT_READ_ONLY_MAX_CLIENTS : DEFAULT_MAX_CLIENTS),
      maxPendingBytes: opts.maxPendingBytes ?? 4 * 1024 * 1024,
      maxTotalPendingBytes: opts.maxTotalPendingBytes ?? 32 * 1024 * 1024,
      stallMs: opts.stallMs ?? 1000,
      idleMs: opts.idleMs ?? DEFAULT_IDLE_MS,
      log: opts.log,
      readOnly,
    };
    this.#clients = new ControlClients(this.#opts);
    this.#listener = bound.listener;
    this.#identity = bound.identity;
    this.#accepting = this.#accept();
  }

  /**
   * Binds the socket at `path`. A socket left there by a daemon that died is replaced; one that
   * answers belongs to a running daemon, and anything else at the path is not ours to remove:
   * both are errors, with the reason.
   */
  static async open(opts: ControlServerOptions): Promise<ControlServer> {
    await clearStaleSocket(opts.path);
    const listener = Deno.listen({ transport: "unix", path: opts.path });
    const identity = await socketIdentity(opts.path);
    try {
      await Deno.chmod(opts.path, opts.mode ?? 0o660);
    } catch (err) {
      listener.close();
      await removeOwnSocket(opts.path, identity);
      throw err;
    }
    return new ControlServer(opts, { listener, identity });
  }

  /** Clients connected now. */
  get clients(): number {
    return this.#clients.size;
  }

  /** Bytes of all clients not written yet. */
  get unsent(): number {
    return this.#clients.unsent;
  }

  /**
   * Stops listening, drops the clients, waits for the listener to be done, then removes the
   * socket if it is still the one bound here (not a new daemon's). Idempotent.
   */
  close(): Promise<void> {
    this.#closing ??= this.#shutdown();
    return this.#closing;
  }

  async #shutdown(): Promise<void> {
    this.#closed = true;
    try {
      this.#listener.close();
    } catch {
      // Closed already.
    }
    this.#wake?.();
    this.#clients.dropAll();
    // The runtime lets go of the listener (and may unlink its path) once the pending accept
    // has failed: only then is the path's state final.
    await this.#accepting;
    await removeOwnSocket(this.#opts.path, this.#identity);
  }

  /**
   * Accepts clients until {@link close}. A failed accept (out of file descriptors, say) is
   * logged and retried after a pause: the socket stays in service.
   */
  async #accept(): Promise<void> {
    while (!this.#closed) {
      let conn: Deno.UnixConn;
      try {
        conn = await this.#listener.accept();
      } catch (err) {
        if (this.#closed) return;
        this.#opts.log("warn", `Control socket "${this.#opts.path}": ${messageOf(err)}`);
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, ACCEPT_RETRY_MS);
          this.#wake = () => {
            clearTimeout(timer);
            resolve();
          };
        });
        this.#wake = undefined;
        continue;
      }
      if (this.#closed || this.#clients.size >= this.#opts.maxClients) {
        this.#opts.log("debug", `Control client refused: ${this.#clients.size} connected`);
        conn.close();
        continue;
      }
      const client = this.#clients.add(conn);
      this.#read(client);
    }
  }

  /**
   * Reads a client's requests and answers them in order, {@link ANSWERS_PER_TURN} at most in a
   * row: many lines in one read do not hold the daemon's loop. Nothing more is read while they
   * wait for their turn ({@link ControlClients.fits}). At the end of what the client sends, its
   * replies still go out.
   */
  async #read(c: Client): Promise<void> {
    const buffer = new Uint8Array(4096);
    try {
      for (;;) {
        const n = await c.conn.read(buffer);
        if (c.closed) return;
        if (n === null) break;
        // A streaming client is only watched for the end of its connection.
        if (c.streaming) continue;
        const got = c.lines.push(buffer.subarray(0, n));
        c.busy = true;
        for (let i = 0; i < got.length && !c.closed && !c.streaming; i++) {
          if (i > 0 && i % ANSWERS_PER_TURN === 0) {
            await new Promise((resolve) => setTimeout(resolve, 0));
          }
          // Checked and taken in one go: others may take their turn during any wait.
          while (!c.closed && !this.#clients.fits(c)) await this.#clients.wait(c);
          if (c.closed) break;
          this.#take(c, got[i]);
        }
        c.busy = false;
        if (c.closed) return;
      }
    } catch (err) {
      if (!c.closed) this.#opts.log("debug", `Control client read failed: ${messageOf(err)}`);
      this.#clients.drop(c);
      return;
    }
    this.#clients.end(c);
  }

  /** Answers one line of a client: a reply, or the start of its stream. */
  #take(c: Client, got: ReadLine): void {
    c.activeAt = performance.now();
    const reply = got.kind === "too-long"
      ? { ok: false, body: `request longer than ${MAX_REQUEST_BYTES} bytes\n` }
      : this.#answer(got.line, c.session);
    const send = (bytes: Uint8Array) => this.#clients.send(c, bytes);
    if ("start" in reply) {
      send(encoder.encode(STREAM_HEADER));
      c.streaming = true;
      const stop = reply.start((line) => send(encoder.encode(line + "\n")));
      if (c.closed) stop(); // dropped while the stream started
      else c.stopStream = stop;
      return;
    }
    send(encodeReply(reply));
  }

  /** The reply to one line. */
  #answer(line: string, session: ControlSession): ControlReply | ControlStream {
    const parsed = parseRequest(line);
    if (!parsed.ok) return { ok: false, body: `${parsed.reason}\n` };
    const { command } = parsed.value;
    if (this.#opts.readOnly && !READ_ONLY_COMMANDS.includes(command)) {
      return {
        ok: false,
        body: `${command} is not allowed on the read-only socket "${this.#opts.path}": only ` +
          "show and monitor are\n",
      };
    }
    // Monitors are never idle: on the socket anyone may use, half the places at most, so
    // that watchers cannot keep everyone else from asking.
    if (this.#opts.readOnly && command === "monitor") {
      const most = Math.max(1, Math.floor(this.#opts.maxClients / 2));
      if (this.#clients.streaming >= most) {
        return {
          ok: false,
          body: `monitor is refused on the read-only socket "${this.#opts.path}": ${most} ` +
            "monitors already watch there (half its places); try again later, or use the " +
            "control socket\n",
        };
      }
    }
    try {
      return this.#opts.handler.answer(parsed.value, session);
    } catch (err) {
      return { ok: false, body: `internal error: ${messageOf(err)}\n` };
    }
  }
}
