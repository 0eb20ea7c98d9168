/**
 * Follows the log of a daemon started in the lab (ours or a peer): its stdout and stderr split
 * into lines, kept in order, and waited for by pattern; and stops it.
 *
 * @module
 */

/** A followed log. */
export interface LogFollower {
  /** Lines so far, stdout and stderr interleaved as they came. */
  readonly lines: string[];
  /** Resolves once both streams are closed. */
  readonly closed: Promise<void>;
  /**
   * Resolves with the first line matching `re` (seen before or after the call); rejects after
   * `timeoutMs` or when `exited` resolves first, with the lines so far.
   */
  waitForLine(re: RegExp, timeoutMs: number, exited: Promise<unknown>): Promise<string>;
}

/**
 * Reads `child`'s piped stdout and stderr line by line. `name` is used in messages (`No
 * igmpproxy log line matching ...`); with `echo`, each line is also written to our stderr
 * after `  [name] `.
 */
export function followLog(
  child: Deno.ChildProcess,
  name: string,
  echo = false,
): LogFollower {
  const lines: string[] = [];
  const waiters: { re: RegExp; resolve: (l: string) => void }[] = [];
  const take = (line: string) => {
    lines.push(line);
    if (echo) console.error(`  [${name}] ${line}`);
    for (let i = waiters.length - 1; i >= 0; i--) {
      if (waiters[i].re.test(line)) waiters.splice(i, 1)[0].resolve(line);
    }
  };
  const pump = async (stream: ReadableStream<Uint8Array>) => {
    let rest = "";
    for await (const chunk of stream.pipeThrough(new TextDecoderStream())) {
      rest += chunk;
      let nl;
      while ((nl = rest.indexOf("\n")) >= 0) {
        take(rest.slice(0, nl));
        rest = rest.slice(nl + 1);
      }
    }
    if (rest !== "") take(rest);
  };
  const closed = Promise.all([pump(child.stdout), pump(child.stderr)]).then(() => {});
  return {
    lines,
    closed,
    waitForLine(re, timeoutMs, exited) {
      const seen = lines.find((l) => re.test(l));
      if (seen !== undefined) return Promise.resolve(seen);
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
          reject(
            new Error(
              `No ${name} log line matching ${re} in ${timeoutMs} ms:\n${lines.join("\n")}`,
            ),
          );
        }, timeoutMs);
        waiters.push({
          re,
          resolve: (l: string) => {
            clearTimeout(timer);
            resolve(l);
          },
        });
        exited.then(() => {
          clearTimeout(timer);
          reject(new Error(`${name} exited before logging ${re}:\n${lines.join("\n")}`));
        });
      });
    },
  };
}

/**
 * Sends `signal` to a daemon and waits for `status` (which settles once it exited and its log
 * is read); resolves to the exit code and the time taken (ms).
 */
export async function stopProcess(
  child: Deno.ChildProcess,
  status: Promise<Deno.CommandStatus>,
  signal: Deno.Signal,
): Promise<{ code: number; ms: number }> {
  const t0 = performance.now();
  try {
    child.kill(signal);
  } catch {
    // Already exited.
  }
  const s = await status;
  return { code: s.code, ms: performance.now() - t0 };
}
