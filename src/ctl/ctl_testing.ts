/**
 * What the client's tests share: a temporary socket directory, a real {@link ControlServer}
 * with a handler that records the requests, a bare socket server that writes what a test
 * scripts (a reply in pieces, a stream, silence), and a socket left behind by a dead process.
 *
 * @module
 */

import type { ControlReply, ControlRequest } from "../runtime/control_protocol.ts";
import { ControlServer } from "../runtime/control_server.ts";
import type { CtlIo } from "./cli.ts";
import type { RunCommand } from "./doctor_facts.ts";
import { scratchSocket } from "../../tests/fakes/scratch.ts";

/** Runs `fn` with a socket path nothing is bound to (see `scratch.ts`), removed afterwards. */
export async function withSocketPath(fn: (path: string) => Promise<void>): Promise<void> {
  const path = await scratchSocket();
  try {
    await fn(path);
  } finally {
    await Deno.remove(path).catch(() => {});
  }
}

/** A daemon stand-in: answers each request with `answer`, and keeps what it was asked. */
export interface FakeDaemon {
  /** The requests, in order. */
  requests: ControlRequest[];
  /** Stops listening and removes the socket. */
  close(): Promise<void>;
}

/** A real control server at `path` whose handler answers with `answer`. */
export async function startFakeDaemon(
  path: string,
  answer: (req: ControlRequest) => ControlReply,
): Promise<FakeDaemon> {
  const requests: ControlRequest[] = [];
  const server = await ControlServer.open({
    path,
    handler: {
      answer(req) {
        requests.push(req);
        return answer(req);
      },
    },
    log: () => {},
  });
  return { requests, close: () => server.close() };
}

/** A bare socket server, for the replies no control server would send. */
export interface ScriptedServer {
  /** The request text each connection sent, by the time the script read it. */
  received: string[];
  /** Resolves when every connection's script has ended. */
  done(): Promise<void>;
  /** Stops listening (the connections stay with their scripts). */
  close(): void;
}

/** What a script of {@link startScriptedServer} may do with a connection. */
export interface ScriptedConn {
  /** Reads until a newline came (or the client closed); resolves to what came. */
  readLine(): Promise<string>;
  /** Writes text. */
  write(text: string | Uint8Array): Promise<void>;
  /** Resolves when the client closes its side. */
  waitForClose(): Promise<void>;
  /** Pauses for `ms`. */
  pause(ms: number): Promise<void>;
}

/**
 * Listens at `path`; for each connection runs `script`, then closes the connection. A script
 * that throws ends its connection; the error is kept for {@link ScriptedServer.done}.
 */
export function startScriptedServer(
  path: string,
  script: (conn: ScriptedConn) => Promise<void>,
): ScriptedServer {
  const listener = Deno.listen({ transport: "unix", path });
  const received: string[] = [];
  const running: Promise<void>[] = [];
  const accepting = (async () => {
    for (;;) {
      let conn: Deno.UnixConn;
      try {
        conn = await listener.accept();
      } catch {
        return;
      }
      running.push(serve(conn, { script, received }));
    }
  })();
  return {
    received,
    async done() {
      await accepting;
      await Promise.all(running);
    },
    close() {
      try {
        listener.close();
      } catch {
        // Closed already.
      }
    },
  };
}

async function serve(
  conn: Deno.UnixConn,
  opts: { script: (conn: ScriptedConn) => Promise<void>; received: string[] },
): Promise<void> {
  const index = opts.received.push("") - 1;
  const decoder = new TextDecoder();
  const buffer = new Uint8Array(4096);
  const scripted: ScriptedConn = {
    async readLine() {
      while (!opts.received[index].includes("\n")) {
        const n = await conn.read(buffer);
        if (n === null) break;
        opts.received[index] += decoder.decode(buffer.subarray(0, n));
      }
      return opts.received[index];
    },
    async write(text) {
      const bytes = typeof text === "string" ? new TextEncoder().encode(text) : text;
      for (let at = 0; at < bytes.length;) at += await conn.write(bytes.subarray(at));
    },
    async waitForClose() {
      for (;;) {
        const n = await conn.read(buffer).catch(() => null);
        if (n === null) return;
      }
    },
    pause: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
  };
  try {
    await opts.script(scripted);
  } finally {
    try {
      conn.close();
    } catch {
      // Closed already.
    }
  }
}

/**
 * Whether the tests may run `command`: the unit stage of the suite lets them run no program
 * but the C compiler, so a test that needs another skips, and says so.
 */
export function mayRun(command: string): boolean {
  return Deno.permissions.querySync({ name: "run", command }).state === "granted";
}

/** Whether the tests may run Deno itself (for {@link leaveStaleSocket} and whole programs). */
export const MAY_RUN_DENO: boolean = mayRun(Deno.execPath());

/**
 * Leaves a socket at `path` that nobody listens on, as a daemon killed with SIGKILL leaves it:
 * another process binds it, says so, and is killed.
 */
export async function leaveStaleSocket(path: string): Promise<void> {
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      "eval",
      `Deno.listen({ transport: "unix", path: ${JSON.stringify(path)} });
       console.log("listening");
       setInterval(() => {}, 1000);`,
    ],
    stdin: "null",
    stdout: "piped",
    stderr: "null",
  }).spawn();
  try {
    const reader = child.stdout.getReader();
    const { value } = await reader.read();
    reader.releaseLock();
    if (!new TextDecoder().decode(value).startsWith("listening")) {
      throw new Error("the process that binds the stale socket did not start");
    }
  } finally {
    child.kill("SIGKILL");
    await child.status;
    await child.stdout.cancel().catch(() => {});
  }
  if (!(await Deno.lstat(path)).isSocket) throw new Error(`no socket left at ${path}`);
}

/** What {@link captureIo} caught. */
export interface CapturedIo {
  /** Standard output so far. */
  out: string;
  /** Standard error so far. */
  err: string;
  /** Sends the stop that SIGINT would, to every registration in place. */
  stop(): void;
  /** How many stop registrations are in place. */
  listening: number;
}

/**
 * A {@link CtlIo} that keeps what is written. `onOut` sees each write to standard output first
 * (and may throw, as a closed pipe does); `readFile`, when given, is the files it reads;
 * `runCommand` the commands it runs (by default none: each is a program not found).
 */
export function captureIo(
  opts: {
    onOut?: (text: string, captured: CapturedIo) => void;
    readFile?: (path: string) => Promise<string>;
    runCommand?: RunCommand;
  } = {},
): { io: CtlIo; captured: CapturedIo } {
  const stops = new Set<() => void>();
  const captured: CapturedIo = {
    out: "",
    err: "",
    stop: () => {
      for (const stop of stops) stop();
    },
    get listening() {
      return stops.size;
    },
  };
  const io: CtlIo = {
    out(text) {
      opts.onOut?.(text, captured);
      captured.out += text;
      return Promise.resolve();
    },
    err(text) {
      captured.err += text;
      return Promise.resolve();
    },
    onStop(stop) {
      stops.add(stop);
      return () => stops.delete(stop);
    },
    ...(opts.readFile === undefined ? {} : { readFile: opts.readFile }),
    runCommand: opts.runCommand ??
      ((argv) => Promise.reject(new Deno.errors.NotFound(`No program ${argv[0]} in a test`))),
  };
  return { io, captured };
}
