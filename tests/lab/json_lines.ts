/**
 * Line-oriented JSON event streams shared by the lab's helper processes (sender, host agent)
 * and the clients that drive them.
 *
 * @module
 */

/** Wall-clock milliseconds with sub-millisecond precision, comparable across processes. */
export function wallNow(): number {
  return performance.timeOrigin + performance.now();
}

/** Writes one JSON object as a line on stdout. */
export function emit(event: Record<string, unknown>): void {
  console.log(JSON.stringify(event));
}

/**
 * Yields each line of a byte stream, without the newline. A final line without a newline is
 * yielded too.
 */
export async function* readLines(stream: ReadableStream<Uint8Array>): AsyncGenerator<string> {
  let buf = "";
  for await (const chunk of stream.pipeThrough(new TextDecoderStream())) {
    buf += chunk;
    let nl: number;
    while ((nl = buf.indexOf("\n")) >= 0) {
      yield buf.slice(0, nl);
      buf = buf.slice(nl + 1);
    }
  }
  if (buf !== "") yield buf;
}

/** A parsed event line; `ev` names the event. */
export interface JsonEvent {
  /** Event name. */
  ev: string;
  /** Event fields. */
  [key: string]: unknown;
}

/**
 * Parses a line as a JSON event object; returns null (instead of throwing) for anything else,
 * such as a stray log line.
 */
export function parseEvent(line: string): JsonEvent | null {
  try {
    const v: unknown = JSON.parse(line);
    if (typeof v === "object" && v !== null && typeof (v as { ev?: unknown }).ev === "string") {
      return v as JsonEvent;
    }
  } catch {
    // Not JSON.
  }
  return null;
}

/**
 * Reads a helper process's event lines until its `ready` event and returns the event's time.
 * The lines after it stay unread in `lines` for the caller. Throws, naming `what` and the exit
 * code, when the process exits first.
 */
export async function awaitReady(
  lines: AsyncGenerator<string>,
  child: Deno.ChildProcess,
  what: string,
): Promise<number> {
  // next() by hand: leaving a for-await loop early would close the generator and the pipe.
  for (let r = await lines.next(); !r.done; r = await lines.next()) {
    const ev = parseEvent(r.value);
    if (ev?.ev === "ready") return Number(ev.t);
  }
  const status = await child.status;
  throw new Error(`${what} exited before it was ready (exit code ${status.code})`);
}
