/**
 * The control socket's server (mcast-proxyctl(8)): a Unix stream socket, bound as root before
 * the jail (a bound socket keeps working inside it), mode 0660. Each connection carries request
 * lines (`control_protocol.ts`); each gets one framed reply from the {@link ControlHandler}.
 *
 * Nothing a client does can hold the daemon up: reading and writing are the runtime's own
 * asynchronous I/O, answers are computed synchronously between two turns of the event loop, a
 * client's unsent replies are bounded (past {@link ControlServerOptions.maxPendingBytes} it is
 * dropped: it does not read), and so is the number of clients.
 *
 * @module
 */

import {
  type ControlReply,
  type ControlRequest,
  encodeReply,
  LineReader,
  MAX_REQUEST_BYTES,
  parseRequest,
  STREAM_HEADER,
} from "./control_protocol.ts";

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
  /** The reply to a well-formed request, or a stream of lines. */
  answer(request: ControlRequest): ControlReply | ControlStream;
}

/** Options of {@link ControlServer.open}. */
export interface ControlServerOptions {
  /** The socket's path. */
  path: string;
  /** Its mode (default 0660: root and the socket's group). */
  mode?: number;
  /** Answers the requests. */
  handler: ControlHandler;
  /** Clients at once (default 1024); one more is closed at once. */
  maxClients?: number;
  /** Unsent reply bytes a client may hold before it is dropped (default 4 MiB). */
  maxPendingBytes?: number;
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

/** One client. */
interface Client {
  conn: Deno.UnixConn;
  lines: LineReader;
  /** Replies not written yet. */
  queue: Uint8Array[];
  pending: number;
  writing: boolean;
  closed: boolean;
  /** Stops the client's stream, once it is streaming: it sends no more requests then. */
  stopStream: (() => void) | undefined;
}

/** A control socket: {@link open} it, {@link close} it at exit. */
export class ControlServer {
  readonly #opts: Required<Omit<ControlServerOptions, "mode">>;
  readonly #listener: Deno.UnixListener;
  readonly #clients = new Set<Client>();
  #closed = false;

  private constructor(opts: ControlServerOptions, listener: Deno.UnixListener) {
    this.#opts = {
      path: opts.path,
      handler: opts.handler,
      maxClients: opts.maxClients ?? 1024,
      maxPendingBytes: opts.maxPendingBytes ?? 4 * 1024 * 1024,
      log: opts.log,
      readOnly: opts.readOnly ?? false,
    };
    this.#listener = listener;
    this.#accept();
  }

  /**
   * Binds the socket at `path`. A socket left there by a daemon that died is replaced; one that
   * answers belongs to a running daemon, and anything else at the path is not ours to remove:
   * both are errors, with the reason.
   */
  static async open(opts: ControlServerOptions): Promise<ControlServer> {
    await clearStaleSocket(opts.path);
    const listener = Deno.listen({ transport: "unix", path: opts.path });
    try {
      await Deno.chmod(opts.path, opts.mode ?? 0o660);
    } catch (err) {
      listener.close();
      await Deno.remove(opts.path).catch(() => {});
      throw err;
    }
    return new ControlServer(opts, listener);
  }

  /** Clients connected now. */
  get clients(): number {
    return this.#clients.size;
  }

  /** Stops listening, drops the clients and removes the socket. Idempotent. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    try {
      this.#listener.close();
    } catch {
      // Closed already.
    }
    for (const c of this.#clients) this.#drop(c);
    try {
      Deno.removeSync(this.#opts.path);
    } catch {
      // Gone already (or the jail hides it: the next start replaces it as stale).
    }
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
        this.#opts.log("warn", `Control socket "${this.#opts.path}": ${errorText(err)}`);
        await new Promise((resolve) => setTimeout(resolve, ACCEPT_RETRY_MS));
        continue;
      }
      if (this.#closed || this.#clients.size >= this.#opts.maxClients) {
        this.#opts.log("debug", `Control client refused: ${this.#clients.size} connected`);
        conn.close();
        continue;
      }
      const client: Client = {
        conn,
        lines: new LineReader(MAX_REQUEST_BYTES),
        queue: [],
        pending: 0,
        writing: false,
        closed: false,
        stopStream: undefined,
      };
      this.#clients.add(client);
      this.#read(client);
    }
  }

  async #read(c: Client): Promise<void> {
    const buffer = new Uint8Array(4096);
    try {
      for (;;) {
        const n = await c.conn.read(buffer);
        if (n === null || c.closed) break;
        // A streaming client is only watched for the end of its connection.
        if (c.stopStream !== undefined) continue;
        for (const got of c.lines.push(buffer.subarray(0, n))) {
          const reply = got.kind === "too-long"
            ? { ok: false, body: `request longer than ${MAX_REQUEST_BYTES} bytes\n` }
            : this.#answer(got.line);
          if ("start" in reply) {
            this.#send(c, encoder.encode(STREAM_HEADER));
            c.stopStream = reply.start((line) => this.#send(c, encoder.encode(line + "\n")));
            if (c.closed) c.stopStream(); // dropped while the stream started
            break;
          }
          this.#send(c, encodeReply(reply));
          if (c.closed) return;
        }
      }
    } catch (err) {
      if (!c.closed) this.#opts.log("debug", `Control client read failed: ${errorText(err)}`);
    }
    this.#drop(c);
  }

  /** The reply to one line. */
  #answer(line: string): ControlReply | ControlStream {
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
    try {
      return this.#opts.handler.answer(parsed.value);
    } catch (err) {
      return { ok: false, body: `internal error: ${errorText(err)}\n` };
    }
  }

  /** Queues bytes for a client; a client that lets too much pile up is dropped. */
  #send(c: Client, bytes: Uint8Array): void {
    if (c.closed) return;
    c.pending += bytes.length;
    if (c.pending > this.#opts.maxPendingBytes) {
      this.#opts.log("debug", `Control client dropped: ${c.pending} bytes unread`);
      this.#drop(c);
      return;
    }
    c.queue.push(bytes);
    if (!c.writing) this.#flush(c);
  }

  async #flush(c: Client): Promise<void> {
    c.writing = true;
    try {
      while (c.queue.length > 0 && !c.closed) {
        const head = c.queue[0];
        const n = await c.conn.write(head);
        c.pending -= n;
        if (n < head.length) c.queue[0] = head.subarray(n);
        else c.queue.shift();
      }
    } catch (err) {
      if (!c.closed) this.#opts.log("debug", `Control client write failed: ${errorText(err)}`);
      this.#drop(c);
    } finally {
      c.writing = false;
    }
  }

  #drop(c: Client): void {
    if (c.closed) return;
    c.closed = true;
    c.stopStream?.();
    this.#clients.delete(c);
    c.queue.length = 0;
    try {
      c.conn.close();
    } catch {
      // Closed already.
    }
  }
}

/**
 * Makes way for a socket at `path`: nothing there is fine; a socket nobody answers on is a
 * daemon's that died, removed; a socket that answers, or anything else, is an error.
 */
async function clearStaleSocket(path: string): Promise<void> {
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
    const conn = await Deno.connect({ transport: "unix", path });
    conn.close();
  } catch {
    await Deno.remove(path);
    return;
  }
  throw new Error(`"${path}" is in use: another mcast-proxy is running`);
}

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
