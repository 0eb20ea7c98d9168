/**
 * Shared fixtures of the control server's tests: a handler that echoes, a server on a scratch
 * socket, and a client that sends lines and collects replies.
 *
 * @module
 */

import { type ControlReply, formatRequest, ReplyReader } from "./control_protocol.ts";
import { type ControlHandler, ControlServer, type ControlServerOptions } from "./control_server.ts";
import { scratchSocket } from "../../tests/fakes/scratch.ts";

/** A handler that says which request it got; `body` makes big replies. */
export function echo(body: (line: string) => string = (line) => `${line}\n`): ControlHandler {
  return { answer: (r) => ({ ok: true, body: body(formatRequest(r)) }) };
}

/** A log that says nothing. */
export const quiet = (): void => {};

/** One mebibyte. */
export const MiB = 1024 * 1024;

/** Options of tests that leave sockets and timers to the server's close. */
export const options = { sanitizeOps: false, sanitizeResources: false };

/** Resolves once `cond` holds; fails after `ms`. */
export async function until(what: string, cond: () => boolean, ms = 5000): Promise<void> {
  const end = performance.now() + ms;
  while (!cond()) {
    if (performance.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** Waits `ms`. */
export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** A client of the tests: sends lines, collects replies. */
export interface TestClient {
  /** Its connection. */
  conn: Deno.UnixConn;
  /** Writes `text`. */
  send(text: string): Promise<void>;
  /**
   * Reads until `n` replies came in all and returns them; `pauseMs` waits after each read (a
   * client that reads slowly).
   */
  replies(n: number, pauseMs?: number): Promise<ControlReply[]>;
  /** Whether the server closed the connection: reads until the end, or else until `ms` pass. */
  closedWithin(ms: number): Promise<boolean>;
  /** Closes the connection. */
  close(): void;
}

/** Connects a {@link TestClient} to the socket at `path`. */
export async function client(path: string): Promise<TestClient> {
  const conn = await Deno.connect({ transport: "unix", path });
  const reader = new ReplyReader();
  const replies: ControlReply[] = [];
  const buffer = new Uint8Array(65536);
  return {
    conn,
    async send(text: string) {
      await conn.write(new TextEncoder().encode(text));
    },
    async replies(n: number, pauseMs = 0): Promise<ControlReply[]> {
      while (replies.length < n) {
        const got = await conn.read(buffer);
        if (got === null) throw new Error(`closed after ${replies.length} replies`);
        for (const r of reader.push(buffer.subarray(0, got))) {
          if (r.kind !== "reply") throw new Error(JSON.stringify(r));
          replies.push(r.reply);
        }
        if (pauseMs > 0) await sleep(pauseMs);
      }
      return replies.slice(0, n);
    },
    async closedWithin(ms: number): Promise<boolean> {
      let timer: ReturnType<typeof setTimeout> | undefined;
      const late = new Promise<false>((r) => timer = setTimeout(() => r(false), ms));
      const ended = (async () => {
        try {
          while (await conn.read(buffer) !== null) { /* skip what comes */ }
        } catch {
          // Reset: closed too.
        }
        return true;
      })();
      try {
        return await Promise.race([ended, late]);
      } finally {
        clearTimeout(timer);
      }
    },
    close: () => conn.close(),
  };
}

/** Runs `fn` with a server on a scratch socket, closed and removed afterwards. */
export async function withServer(
  fn: (path: string, server: ControlServer) => Promise<void>,
  opts: Partial<Omit<ControlServerOptions, "path" | "mode">> = {},
): Promise<void> {
  const path = await scratchSocket();
  const server = await ControlServer.open({
    path,
    handler: echo(),
    log: quiet,
    ...opts,
    ...(opts.readOnly ? { mode: 0o666 } : {}),
  });
  try {
    await fn(path, server);
  } finally {
    await server.close();
    await Deno.remove(path).catch(() => {});
  }
}
