/**
 * The control socket's protocol (mcast-proxyctl(8)), pure: the requests a client sends, the
 * framing of the replies, and the readers that cut a byte stream into either.
 *
 * A request is one line of text, at most {@link MAX_REQUEST_BYTES} bytes with its newline: words
 * separated by blanks, options (`--json`) anywhere after the command. A reply is a header line,
 * `ok LENGTH` or `error LENGTH`, then exactly LENGTH bytes of body, so that a client knows where
 * it ends whatever the body holds; a `monitor` request is answered by `stream` and then one event
 * per line until either side closes. A connection may carry requests one after the other.
 *
 * @example
 * ```ts
 * parseRequest("show groups 239.1.1.1 --json");
 * // { ok: true, value: { command: "show", what: "groups", group: "239.1.1.1", format: "json" } }
 * encodeReply({ ok: true, body: "done\n" }); // the bytes of "ok 5\ndone\n"
 * ```
 *
 * @module
 */

import { parseIPv4, parseIPv6 } from "../proto/addr.ts";

/**
 * The control socket's default path, where the daemon listens and the client connects (both
 * take `-s PATH` for another).
 */
export const DEFAULT_CONTROL_SOCKET = "/var/run/mcast-proxy.sock";

/** The longest request line, its newline included. */
export const MAX_REQUEST_BYTES = 1024;

/** What `show` shows. */
export type ShowWhat =
  | "interfaces"
  | "groups"
  | "upstream"
  | "forwarding"
  | "counters"
  | "config"
  | "neighbors"
  | "routes"
  | "cache";

/** How a reply is written: tables for people, JSON, or Prometheus' text format (counters). */
export type ReplyFormat = "text" | "json" | "prometheus";

/** A request. */
export type ControlRequest =
  /** `show WHAT [GROUP]`: live state. */
  | { command: "show"; what: ShowWhat; group?: string; format: ReplyFormat }
  /** `reload`: read the configuration again, the result and every error returned. */
  | { command: "reload"; format: ReplyFormat }
  /** `log verbose|brief`: debug logging on or off. */
  | { command: "log"; level: "verbose" | "brief"; format: ReplyFormat }
  /** `dump`: the status dump of SIGUSR1, returned. */
  | { command: "dump"; format: ReplyFormat }
  /** `monitor`: one line per event until the client goes. */
  | { command: "monitor"; format: ReplyFormat };

/** A request, or what is wrong with it (for an `error` reply). */
export type ParsedRequest = { ok: true; value: ControlRequest } | { ok: false; reason: string };

const SHOW_WHAT: readonly ShowWhat[] = [
  "interfaces",
  "groups",
  "upstream",
  "forwarding",
  "counters",
  "config",
  "neighbors",
  "routes",
  "cache",
];
const COMMANDS = ["show", "reload", "log", "dump", "monitor"] as const;

/**
 * Parses one request line (without its newline; a trailing carriage return is ignored). Every
 * mistake is a reason in words, naming what was expected.
 */
export function parseRequest(line: string): ParsedRequest {
  const words = line.replace(/\r$/, "").split(/[ \t]+/).filter((w) => w !== "");
  const options = words.filter((w) => w.startsWith("-"));
  const args = words.filter((w) => !w.startsWith("-"));
  const [command, ...rest] = args;
  if (command === undefined) return fail("empty request");
  if (!(COMMANDS as readonly string[]).includes(command)) {
    return fail(`unknown command ${quote(command)}: expected one of ${COMMANDS.join(", ")}`);
  }
  const unknown = options.find((o) => o !== "--json" && o !== "--prometheus");
  if (unknown !== undefined) {
    return fail(`unknown option ${quote(unknown)}: expected --json or --prometheus`);
  }
  if (options.includes("--json") && options.includes("--prometheus")) {
    return fail("--json and --prometheus exclude each other");
  }
  const format: ReplyFormat = options.includes("--json")
    ? "json"
    : options.includes("--prometheus")
    ? "prometheus"
    : "text";
  const only = (allowed: readonly ReplyFormat[], what: string): string | undefined =>
    allowed.includes(format) ? undefined : `${what} does not take --${format}`;
  switch (command) {
    case "show": {
      const [what, group, extra] = rest;
      if (what === undefined || !(SHOW_WHAT as readonly string[]).includes(what)) {
        const got = what === undefined ? "nothing" : quote(what);
        return fail(`show what? got ${got}: expected one of ${SHOW_WHAT.join(", ")}`);
      }
      const show = what as ShowWhat;
      if (group !== undefined && show !== "groups") {
        return fail(`show ${show} takes no argument, got ${quote(group)}`);
      }
      if (extra !== undefined) return fail(`show groups takes one group, got ${quote(extra)}`);
      if (group !== undefined && !isMulticastAddress(group)) {
        return fail(`${quote(group)} is not a multicast group address`);
      }
      const wrong = show === "counters" ? undefined : only(["text", "json"], `show ${show}`);
      if (wrong !== undefined) return fail(wrong);
      return ok({ command: "show", what: show, ...(group === undefined ? {} : { group }), format });
    }
    case "reload":
    case "monitor": {
      if (rest.length > 0) return fail(`${command} takes no argument, got ${quote(rest[0])}`);
      const wrong = only(["text", "json"], command);
      return wrong !== undefined ? fail(wrong) : ok({ command, format });
    }
    case "log": {
      const [level, extra] = rest;
      if (level !== "verbose" && level !== "brief") {
        const got = level === undefined ? "nothing" : quote(level);
        return fail(`log what? got ${got}: expected verbose or brief`);
      }
      if (extra !== undefined) return fail(`log takes one word, got ${quote(extra)}`);
      const wrong = only(["text", "json"], "log");
      return wrong !== undefined ? fail(wrong) : ok({ command: "log", level, format });
    }
    default: {
      if (rest.length > 0) return fail(`dump takes no argument, got ${quote(rest[0])}`);
      const wrong = only(["text", "json"], "dump");
      return wrong !== undefined ? fail(wrong) : ok({ command: "dump", format });
    }
  }
}

/** The request as a line (without its newline), as {@link parseRequest} reads it back. */
export function formatRequest(r: ControlRequest): string {
  const words: string[] = [r.command];
  switch (r.command) {
    case "show":
      words.push(r.what);
      if (r.group !== undefined) words.push(r.group);
      break;
    case "log":
      words.push(r.level);
      break;
  }
  if ("format" in r && r.format !== "text") words.push(`--${r.format}`);
  return words.join(" ");
}

/** Whether `s` is an IPv4 (224/4) or IPv6 (ff00::/8) multicast address. */
function isMulticastAddress(s: string): boolean {
  const v4 = parseIPv4(s);
  if (v4 !== undefined) return v4 >>> 28 === 0xe;
  const v6 = parseIPv6(s);
  return v6 !== undefined && v6[0] === 0xff;
}

/** A reply: its body, and whether the request succeeded. */
export interface ControlReply {
  ok: boolean;
  /** Text, a table or JSON; for an error, the reason (one line or more). */
  body: string;
}

const encoder = new TextEncoder();

/** The bytes of a reply: its header line, then its body. */
export function encodeReply(reply: ControlReply): Uint8Array {
  const body = encoder.encode(reply.body);
  const head = encoder.encode(`${reply.ok ? "ok" : "error"} ${body.length}\n`);
  const out = new Uint8Array(head.length + body.length);
  out.set(head);
  out.set(body, head.length);
  return out;
}

/** The header that starts a stream of events (the answer to `monitor`). */
export const STREAM_HEADER = "stream\n";

/** What a {@link ReplyReader} took from the bytes so far. */
export type ReadReply =
  | { kind: "reply"; reply: ControlReply }
  | { kind: "stream" }
  | { kind: "bad"; reason: string };

/** The longest header line a client waits for before calling the reply malformed. */
const MAX_HEADER_BYTES = 64;

/**
 * Cuts the bytes a client receives into replies, whatever the chunks: {@link push} the bytes as
 * they come; it returns the replies they complete. After `stream`, it hands out nothing more:
 * the rest is event lines (see {@link LineReader}).
 */
export class ReplyReader {
  #buffer: Uint8Array = new Uint8Array(0);
  #streaming = false;

  /** Whether a `stream` header came: the rest of the bytes are events. */
  get streaming(): boolean {
    return this.#streaming;
  }

  /** The bytes received after the `stream` header, and since taken by no reply. */
  takeRest(): Uint8Array {
    const rest = this.#buffer;
    this.#buffer = new Uint8Array(0);
    return rest;
  }

  /** Takes `chunk`; returns what it completes, in order. */
  push(chunk: Uint8Array): ReadReply[] {
    this.#buffer = concat(this.#buffer, chunk);
    const out: ReadReply[] = [];
    while (!this.#streaming) {
      const nl = this.#buffer.indexOf(0x0a);
      if (nl < 0) {
        if (this.#buffer.length > MAX_HEADER_BYTES) out.push(bad("no reply header"));
        break;
      }
      const head = new TextDecoder().decode(this.#buffer.subarray(0, nl));
      if (head === "stream") {
        this.#streaming = true;
        this.#buffer = this.#buffer.slice(nl + 1);
        out.push({ kind: "stream" });
        break;
      }
      const m = /^(ok|error) (\d{1,10})$/.exec(head);
      if (m === null) {
        out.push(bad(`bad reply header ${quote(head.slice(0, MAX_HEADER_BYTES))}`));
        this.#buffer = new Uint8Array(0);
        break;
      }
      const length = Number(m[2]);
      if (this.#buffer.length < nl + 1 + length) break;
      const body = new TextDecoder().decode(this.#buffer.subarray(nl + 1, nl + 1 + length));
      this.#buffer = this.#buffer.slice(nl + 1 + length);
      out.push({ kind: "reply", reply: { ok: m[1] === "ok", body } });
    }
    return out;
  }
}

/** What a {@link LineReader} took from the bytes so far. */
export type ReadLine = { kind: "line"; line: string } | { kind: "too-long"; bytes: number };

/**
 * Cuts a byte stream into lines of at most `maxBytes` bytes (newline included), as the server
 * reads requests and a client reads events. A longer line is reported once as `too-long` and
 * its bytes are skipped up to its newline, so that one bad request costs nothing else. Bytes
 * that are not UTF-8 are decoded with replacement characters (and then fail to parse).
 */
export class LineReader {
  readonly #maxBytes: number;
  #buffer: Uint8Array = new Uint8Array(0);
  /** Skipping the rest of a line that was too long (its length so far). */
  #skipping = -1;

  /** Lines of at most `maxBytes` bytes. */
  constructor(maxBytes: number) {
    this.#maxBytes = maxBytes;
  }

  /** Bytes of an unfinished line held (at most `maxBytes`). */
  get pending(): number {
    return this.#buffer.length;
  }

  /** Takes `chunk`; returns the lines it completes, in order, without their newlines. */
  push(chunk: Uint8Array): ReadLine[] {
    const out: ReadLine[] = [];
    let data = chunk;
    while (data.length > 0) {
      const nl = data.indexOf(0x0a);
      if (this.#skipping >= 0) {
        if (nl < 0) {
          this.#skipping += data.length;
          break;
        }
        out.push({ kind: "too-long", bytes: this.#skipping + nl + 1 });
        this.#skipping = -1;
        data = data.subarray(nl + 1);
        continue;
      }
      const end = nl < 0 ? data.length : nl + 1;
      if (this.#buffer.length + end > this.#maxBytes) {
        // Past the limit: drop what is held and skip to the newline.
        this.#skipping = this.#buffer.length;
        this.#buffer = new Uint8Array(0);
        continue;
      }
      this.#buffer = concat(this.#buffer, data.subarray(0, end));
      data = data.subarray(end);
      if (nl < 0) break;
      const line = new TextDecoder().decode(this.#buffer.subarray(0, this.#buffer.length - 1));
      this.#buffer = new Uint8Array(0);
      out.push({ kind: "line", line });
    }
    return out;
  }
}

function ok(value: ControlRequest): ParsedRequest {
  return { ok: true, value };
}

function fail(reason: string): ParsedRequest {
  return { ok: false, reason };
}

function bad(reason: string): ReadReply {
  return { kind: "bad", reason };
}

/** A word as an error message shows it: quoted, cut short, control characters escaped. */
function quote(word: string): string {
  const short = word.length > 40 ? `${word.slice(0, 40)}…` : word;
  return JSON.stringify(short);
}

/** `a` then `b`, in a new array (or one of them when the other is empty). */
function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  if (a.length === 0) return b.slice();
  if (b.length === 0) return a;
  const out = new Uint8Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}
