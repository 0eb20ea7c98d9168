/**
 * The parser of mcast-proxy.conf(5): statements, macros, includes, interface blocks and the
 * checks that need the whole file (one upstream, consistent timers, known scope names).
 *
 * ```
 * file      = { [ statement ] NEWLINE }
 * statement = NAME "=" value { value }                 macro definition (top level only)
 *           | "include" STRING                         another file, read in place
 *           | ("ipv4" | "ipv6") ("yes" | "no")
 *           | "user" NAME                              the unprivileged user to run as
 *           | "chroot" PATH                            the jail (absolute)
 *           | timer
 *           | "name" NAME PREFIX                       an administrative scope (multicast range)
 *           | "interface" NAME { NEWLINE } "{" { [ ifstmt ] (NEWLINE | before "}") } "}"
 * ifstmt    = ("ipv4" | "ipv6") ("yes" | "no")
 *           | "threshold" NUMBER                       1-255
 *           | "source" ADDRESS "/" PREFIX              IPv4 or IPv6, repeatable
 *           | "boundary" (NAME | PREFIX)               repeatable
 *           | timer
 *           | "upstream" | "downstream" | "disabled"
 * timer     = ("robustness" | "last-member-query-count" | "startup-query-count") NUMBER
 *           | ("query-interval" | "query-response-interval" | "last-member-query-interval"
 *              | "startup-query-interval") SECONDS     one decimal at most
 * ```
 *
 * An interface may have several blocks: they are merged in file order, and giving it two roles
 * is an error.
 *
 * Every error is reported with the position of the offending token, and parsing goes on at the
 * next newline (or `}` inside a block), so one run reports them all. Diagnostics come back sorted
 * by position. Any error makes the result's `config` undefined; warnings do not.
 *
 * The parser reads tokens from a stack of lexers, each with its own file name, so an `include`
 * statement can push the included file and pop back at its end.
 *
 * @module
 */

import {
  type Boundary,
  type Config,
  type ConfigDiagnostic,
  effectiveTimers,
  type InterfaceConfig,
  type Position,
  type Prefix,
  type Role,
  type Scope,
  type TimerSettings,
} from "./config.ts";
import { checkMacroName, Lexer, MacroTable, type Token } from "./lexer.ts";
import {
  formatIPv4,
  formatIPv6,
  isIPv4Multicast,
  isIPv6Multicast,
  maskIPv4,
  maskIPv6,
  parseIPv4,
  parseIPv6,
} from "../src/proto/addr.ts";
import {
  formatTimer,
  type ProtocolTimers,
  TIMER_KEYWORDS,
  type TimerKeyword,
} from "../src/core/timers.ts";

/** Options of {@link parseConfig}. */
export interface ParseOptions {
  /** File name for positions in diagnostics. */
  file: string;
  /** Command-line `-D name=value` macros; they override definitions in the file. */
  macros?: Record<string, string>;
  /**
   * Reads an included file, given its path already resolved against the including file's
   * directory. Without it, `include` is an error.
   */
  include?: (path: string) => IncludedFile;
  /**
   * What identifies the file for include loops (e.g. its real path); two spellings of one file
   * have the same identity. Defaults to `file`.
   */
  fileId?: string;
}

/**
 * What an include reader returns: the file's text and identity (as {@link ParseOptions.fileId};
 * defaults to the resolved path), or why it cannot be used.
 */
export type IncludedFile = { text: string; id?: string } | { error: string };

/** How deep includes may nest. */
export const MAX_INCLUDE_DEPTH = 8;

/** What {@link parseConfig} returns. */
export interface ParseResult {
  /** The configuration, or `undefined` when there is at least one error. */
  config: Config | undefined;
  /** Errors and warnings sorted by position. */
  diagnostics: ConfigDiagnostic[];
}

/** Lowest and highest `threshold`. */
export const THRESHOLD_MIN = 1;
/** Highest `threshold` (a TTL). */
export const THRESHOLD_MAX = 255;
/** Interface names are shorter than IFNAMSIZ (16) on Linux and OpenBSD. */
export const IFNAMSIZ = 16;

const TIMER_WORDS = TIMER_KEYWORDS.map((k) => k.keyword);
const TOP_KEYWORDS = [
  "ipv4",
  "ipv6",
  "user",
  "chroot",
  "interface",
  "include",
  "name",
  ...TIMER_WORDS,
];
/** A user name as useradd(8) and OpenBSD's adduser(8) accept it, at most 32 bytes. */
const USER_NAME = /^[A-Za-z_][A-Za-z0-9_.-]{0,31}$/;
const INTERFACE_KEYWORDS = [
  "ipv4",
  "ipv6",
  "threshold",
  "source",
  "boundary",
  ...TIMER_WORDS,
  "upstream",
  "downstream",
  "disabled",
];

/**
 * Parses the text of a configuration file.
 *
 * @example
 * ```ts
 * const { config, diagnostics } = parseConfig(
 *   "interface em0 {\n\tupstream\n}\ninterface em1 { downstream }\n",
 *   { file: "/etc/mcast-proxy.conf" },
 * );
 * for (const d of diagnostics) console.error(formatDiagnostic(d));
 * ```
 */
export function parseConfig(text: string, options: ParseOptions): ParseResult {
  const parser = new Parser(new MacroTable(options.macros ?? {}), options.include);
  parser.pushFile(text, options.file, options.fileId ?? options.file);
  return parser.run();
}

/**
 * The edit distance between two strings (Levenshtein, with a swap of two adjacent characters
 * counting as one edit), used to suggest keywords.
 *
 * @example
 * ```ts
 * editDistance("downstrem", "downstream"); // 1
 * editDistance("upsteram", "upstream"); // 1
 * ```
 */
export function editDistance(a: string, b: string): number {
  const d: number[][] = [];
  for (let i = 0; i <= a.length; i++) {
    d.push([i]);
    for (let j = 1; j <= b.length; j++) d[i].push(i === 0 ? j : 0);
  }
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let best = Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) {
        best = Math.min(best, d[i - 2][j - 2] + 1);
      }
      d[i][j] = best;
    }
  }
  return d[a.length][b.length];
}

/**
 * The keyword closest to `word` within an edit distance of 2, preferring `preferred` (the
 * keywords valid where `word` stands) over the other statement keywords.
 */
function suggestKeyword(word: string, preferred: readonly string[]): string | undefined {
  const others = [...TOP_KEYWORDS, ...INTERFACE_KEYWORDS].filter((k) => !preferred.includes(k));
  return closest(word, [preferred, others]);
}

/** The first candidate list's closest entry within an edit distance of 2, trying lists in order. */
function closest(word: string, lists: readonly (readonly string[])[]): string | undefined {
  for (const candidates of lists) {
    let best: string | undefined;
    let bestDistance = 3;
    for (const k of candidates) {
      const dist = editDistance(word.toLowerCase(), k.toLowerCase());
      if (dist < bestDistance) {
        best = k;
        bestDistance = dist;
      }
    }
    if (best !== undefined) return best;
  }
  return undefined;
}

/** Describes a token for "found ..." in messages. */
function describe(t: Token): string {
  switch (t.kind) {
    case "newline":
      return "end of line";
    case "eof":
      return "end of file";
    case "string":
      return `quoted string "${t.value}"`;
    default:
      return `"${t.value}"`;
  }
}

/** `file:line`, for pointing at an earlier place in a message. */
function where(p: Position): string {
  return `${p.file}:${p.line}`;
}

function isValue(t: Token): boolean {
  return t.kind === "word" || t.kind === "string";
}

const UTF8 = new TextEncoder();

/** Checks an interface name; returns an error message or `undefined`. */
function checkInterfaceName(name: string): string | undefined {
  if (name === "") return "interface name is empty";
  if (UTF8.encode(name).length >= IFNAMSIZ) {
    const shown = name.length > 40 ? `${name.slice(0, 40)}...` : name;
    return `interface name "${shown}" is too long (at most ${IFNAMSIZ - 1} bytes)`;
  }
  if (/\s/.test(name)) return `interface name "${name}" contains white space`;
  if (name.includes("/") || name === "." || name === "..") {
    return `"${name}" cannot be an interface name (no "/", ".", or "..")`;
  }
  return undefined;
}

/**
 * Resolves an `include` path: absolute as is, relative against the directory of the file that
 * includes it.
 *
 * @example
 * ```ts
 * resolveIncludePath("lans.conf", "/etc/mcast-proxy.conf"); // "/etc/lans.conf"
 * ```
 */
export function resolveIncludePath(path: string, from: string): string {
  if (path.startsWith("/")) return path;
  const slash = from.lastIndexOf("/");
  return slash < 0 ? path : from.slice(0, slash + 1) + path;
}

/** Why a prefix is not a multicast range, or `undefined` when it is one. */
function notMulticast(p: Prefix, raw: string): string | undefined {
  if (p.family === 4) {
    if (p.length >= 4 && isIPv4Multicast(parseIPv4(p.address) ?? 0)) return undefined;
    return `${raw} is not a multicast range (IPv4 groups are in 224.0.0.0/4)`;
  }
  const v6 = parseIPv6(p.address);
  if (p.length >= 8 && v6 !== undefined && isIPv6Multicast(v6)) return undefined;
  return `${raw} is not a multicast range (IPv6 groups are in ff00::/8)`;
}

/** Whether an IPv6 address is in ::ffff:0:0/96, the IPv4-mapped addresses (RFC 4291 2.5.5.2). */
function isIPv4Mapped(a: Uint8Array): boolean {
  for (let i = 0; i < 10; i++) if (a[i] !== 0) return false;
  return a[10] === 0xff && a[11] === 0xff;
}

/** The IPv4 address in bytes `at`..`at`+3 of an array. */
function readIPv4(a: Uint8Array, at: number): number {
  return ((a[at] << 24) | (a[at + 1] << 16) | (a[at + 2] << 8) | a[at + 3]) >>> 0;
}

function samePrefix(a: Prefix, b: Prefix): boolean {
  return a.family === b.family && a.address === b.address && a.length === b.length;
}

/** A scope name: a word that cannot be mistaken for an address. */
const SCOPE_NAME = /^[A-Za-z_][A-Za-z0-9_.\-]*$/;

/** An interface (all its blocks) with the positions the whole-file checks need. */
interface ParsedInterface {
  config: InterfaceConfig;
  /** Where its role keyword is, when it has one. */
  roleAt?: Position;
  /** Where each setting was last given, for "set twice" warnings. */
  seen: Map<string, Position>;
  /** Where each timer was set in its blocks. */
  timerAt: Map<keyof ProtocolTimers, Position>;
  /** Boundaries written by name, resolved once the whole file is read. */
  namedBoundaries: { boundary: Boundary; token: Token }[];
  /** Where each boundary was written. */
  boundaryAt: Map<Boundary, Position>;
}

/** Where a timer value comes from, for messages. */
function origin(keyword: string, at: Position | undefined): string {
  return at === undefined ? `the default ${keyword}` : `${keyword} at ${where(at)}`;
}

/** One parse: a token stream over a stack of files, the configuration built so far, messages. */
class Parser {
  readonly #macros: MacroTable;
  readonly #include: ((path: string) => IncludedFile) | undefined;
  readonly #lexers: Lexer[] = [];
  /** For each open file, by its lexer: its identity and those of the files including it. */
  readonly #chains = new Map<Lexer, string[]>();
  /** File names in the order they were opened, for sorting diagnostics. */
  readonly #files: string[] = [];
  /** Lookahead. */
  readonly #buffer: Token[] = [];
  readonly #diagnostics: ConfigDiagnostic[] = [];
  readonly #config: Config = {
    ipv4: true,
    ipv6: false,
    timers: {},
    scopes: [],
    interfaces: [],
  };
  readonly #interfaces: ParsedInterface[] = [];
  /** Where each global setting was last given, for "set twice" warnings. */
  readonly #globalsSeen = new Map<string, Position>();
  /** Where each global timer was set. */
  readonly #timerAt = new Map<keyof ProtocolTimers, Position>();
  /** The last token handed out, for "after ..." in messages. */
  #last: Token | undefined;
  /** End of the top-level file, for errors about the file as a whole. */
  #end: Position = { file: "", line: 1, col: 1 };

  constructor(macros: MacroTable, include: ((path: string) => IncludedFile) | undefined) {
    this.#macros = macros;
    this.#include = include;
  }

  /**
   * Makes `text` the file tokens are read from until its end, then goes back to the file that
   * was being read. For `include`, call it once the statement's last token has been consumed
   * and nothing beyond the statement's newline is in the lookahead; `chain` is the includer's
   * (its identity and those of the files including it).
   */
  pushFile(text: string, file: string, id: string, chain: string[] = []): void {
    if (this.#lexers.length === 0) this.#end = { file, line: 1, col: 1 };
    if (!this.#files.includes(file)) this.#files.push(file);
    const lexer = new Lexer(text, { file, macros: this.#macros, diagnostics: this.#diagnostics });
    this.#chains.set(lexer, [...chain, id]);
    this.#lexers.push(lexer);
  }

  /** Parses everything, runs the whole-file checks and returns the result. */
  run(): ParseResult {
    this.#parseTop();
    this.#resolveBoundaries();
    this.#checkInterfaces();
    this.#checkTimers();
    this.#checkFamilies();
    const order = (d: ConfigDiagnostic) => {
      const i = this.#files.indexOf(d.position.file);
      return i < 0 ? this.#files.length : i;
    };
    const diagnostics = this.#diagnostics
      .map((d, i) => ({ d, i }))
      .sort((x, y) =>
        order(x.d) - order(y.d) || x.d.position.line - y.d.position.line ||
        x.d.position.col - y.d.position.col || x.i - y.i
      )
      .map(({ d }) => d);
    const failed = diagnostics.some((d) => d.severity === "error");
    this.#config.interfaces = this.#interfaces.map((p) => p.config);
    return { config: failed ? undefined : this.#config, diagnostics };
  }

  // --- tokens ---

  #pull(): Token {
    for (;;) {
      const lexer = this.#lexers[this.#lexers.length - 1];
      const t = lexer.next();
      if (t.kind !== "eof") return t;
      if (this.#lexers.length === 1) {
        this.#end = t.position;
        return t;
      }
      // End of an included file: a newline ends its last statement, then back to the includer.
      this.#lexers.pop();
      return { kind: "newline", value: "\n", position: t.position, endOfFile: true };
    }
  }

  #peek(k = 0): Token {
    while (this.#buffer.length <= k) this.#buffer.push(this.#pull());
    return this.#buffer[k];
  }

  #next(): Token {
    const t = this.#peek();
    this.#buffer.shift();
    this.#last = t;
    return t;
  }

  // --- messages and recovery ---

  /** Reports an error at a token (unless the lexer already did) or at a position. */
  #error(at: Token | Position, message: string): void {
    if ("kind" in at && at.kind === "invalid") return;
    const position = "kind" in at ? at.position : at;
    this.#diagnostics.push({ position, message, severity: "error" });
  }

  #warn(position: Position, message: string): void {
    this.#diagnostics.push({ position, message, severity: "warning" });
  }

  /**
   * Skips the rest of a statement: up to the newline, or inside a block also up to the `}`. At
   * top level a `{ ... }` on the way is skipped whole, so a mistyped `interface` costs one error.
   */
  #skipStatement(inBlock: boolean): void {
    let depth = 0;
    for (;;) {
      const t = this.#peek();
      if (t.kind === "eof") return;
      if (depth === 0 && t.kind === "newline") return;
      if (depth === 0 && inBlock && t.kind === "rbrace") return;
      if (!inBlock && t.kind === "lbrace") depth++;
      if (!inBlock && t.kind === "rbrace" && depth > 0) depth--;
      this.#next();
    }
  }

  /** Requires the end of a statement; on anything else reports it and skips the rest. */
  #endStatement(inBlock: boolean): void {
    const t = this.#peek();
    if (t.kind === "newline" || t.kind === "eof" || (inBlock && t.kind === "rbrace")) return;
    const after = this.#last === undefined ? "" : ` after ${describe(this.#last)}`;
    this.#error(t, `expected end of line${after}, found ${describe(t)}`);
    this.#skipStatement(inBlock);
  }

  #unknownKeyword(t: Token, preferred: readonly string[]): void {
    const hint = suggestKeyword(t.value, preferred);
    this.#error(
      t,
      `unknown keyword "${t.value}"` + (hint === undefined ? "" : `: did you mean "${hint}"?`),
    );
  }

  /** Warns when a setting is given again in the same scope; records where it was given. */
  #noteSeen(seen: Map<string, Position>, kw: Token, scope: string): void {
    const first = seen.get(kw.value);
    if (first !== undefined) {
      this.#warn(
        kw.position,
        `"${kw.value}" is set twice${scope} (first at ${where(first)}): the last one applies`,
      );
    }
    seen.set(kw.value, kw.position);
  }

  // --- top level ---

  #parseTop(): void {
    for (;;) {
      const t = this.#peek();
      switch (t.kind) {
        case "eof":
          return;
        case "newline":
          this.#next();
          continue;
        case "word":
          if (this.#peek(1).kind === "equals") this.#parseMacroDefinition();
          else this.#parseTopStatement();
          continue;
        case "rbrace":
          this.#error(t, 'unexpected "}" outside an interface block');
          this.#next();
          continue;
        default:
          this.#error(t, `expected a keyword, found ${describe(t)}`);
          this.#skipStatement(false);
      }
    }
  }

  #parseMacroDefinition(): void {
    const name = this.#next();
    this.#next(); // "="
    const values: Token[] = [];
    while (isValue(this.#peek())) values.push(this.#next());
    if (values.length === 0) {
      const t = this.#peek();
      this.#error(t, `expected a value for macro "${name.value}", found ${describe(t)}`);
      this.#skipStatement(false);
      return;
    }
    const problem = checkMacroName(name.value);
    if (problem !== undefined) this.#error(name, problem);
    else this.#macros.define(name.value, values.map((v) => v.value).join(" "));
    this.#endStatement(false);
  }

  #parseTopStatement(): void {
    const kw = this.#next();
    const timer = TIMER_KEYWORDS.find((k) => k.keyword === kw.value);
    if (timer !== undefined) {
      const value = this.#parseTimerValue(kw, timer);
      if (value === undefined) return this.#skipStatement(false);
      this.#noteSeen(this.#globalsSeen, kw, "");
      this.#config.timers[timer.field] = value;
      this.#timerAt.set(timer.field, kw.position);
      return this.#endStatement(false);
    }
    switch (kw.value) {
      case "ipv4":
      case "ipv6": {
        const on = this.#parseYesNo(kw);
        if (on === undefined) return this.#skipStatement(false);
        this.#noteSeen(this.#globalsSeen, kw, "");
        this.#config[kw.value as "ipv4" | "ipv6"] = on;
        return this.#endStatement(false);
      }
      case "user":
      case "chroot": {
        const value = this.#parseUserOrChroot(kw);
        if (value === undefined) return this.#skipStatement(false);
        this.#noteSeen(this.#globalsSeen, kw, "");
        this.#config[kw.value as "user" | "chroot"] = value;
        return this.#endStatement(false);
      }
      case "interface":
        return this.#parseInterface(kw);
      case "include":
        return this.#parseInclude(kw);
      case "name":
        return this.#parseScope(kw);
      default:
        if (INTERFACE_KEYWORDS.includes(kw.value)) {
          this.#error(kw, `"${kw.value}" is only valid inside an interface block`);
        } else {
          this.#unknownKeyword(kw, TOP_KEYWORDS);
        }
        return this.#skipStatement(false);
    }
  }

  /**
   * Parses the user name after `user` or the absolute directory after `chroot`; reports and
   * returns `undefined` on anything else.
   */
  #parseUserOrChroot(kw: Token): string | undefined {
    const t = this.#peek();
    const what = kw.value === "user" ? "a user name" : "a directory";
    if (!isValue(t)) {
      this.#error(t, `expected ${what} after "${kw.value}", found ${describe(t)}`);
      return undefined;
    }
    this.#next();
    if (kw.value === "user" && !USER_NAME.test(t.value)) {
      this.#error(
        t,
        `invalid user name "${t.value}": use letters, digits, "_", "-" and ".", starting with a ` +
          'letter or "_", at most 32',
      );
      return undefined;
    }
    if (kw.value === "chroot" && !t.value.startsWith("/")) {
      this.#error(t, `chroot directory "${t.value}" is not an absolute path`);
      return undefined;
    }
    return t.value;
  }

  /** Parses the `yes` or `no` after `kw`; reports and returns `undefined` on anything else. */
  #parseYesNo(kw: Token): boolean | undefined {
    const t = this.#peek();
    if (isValue(t) && (t.value === "yes" || t.value === "no")) {
      this.#next();
      return t.value === "yes";
    }
    this.#error(t, `expected "yes" or "no" after "${kw.value}", found ${describe(t)}`);
    return undefined;
  }

  // --- include ---

  #parseInclude(kw: Token): void {
    const t = this.#peek();
    if (!isValue(t)) {
      this.#error(t, `expected a file name after "include", found ${describe(t)}`);
      return this.#skipStatement(false);
    }
    this.#next();
    // The chain of includes that led here, taken before looking past the statement may close
    // the current file.
    const open = this.#chains.get(this.#lexers[this.#lexers.length - 1]) ?? [];
    this.#endStatement(false);
    const path = resolveIncludePath(t.value, t.position.file);
    if (open.includes(path)) {
      this.#error(t, `cannot include "${t.value}": "${path}" is already being read (a loop)`);
      return;
    }
    if (open.length > MAX_INCLUDE_DEPTH) {
      this.#error(
        t,
        `cannot include "${t.value}": includes nest more than ${MAX_INCLUDE_DEPTH} deep`,
      );
      return;
    }
    if (this.#include === undefined) {
      this.#error(kw, '"include" cannot be used here');
      return;
    }
    const read = this.#include(path);
    if ("error" in read) {
      this.#error(t, `cannot include "${path}": ${read.error}`);
      return;
    }
    if (read.id !== undefined && read.id !== path && open.includes(read.id)) {
      this.#error(
        t,
        `cannot include "${t.value}": it is "${read.id}", which is already being read (a loop)`,
      );
      return;
    }
    // The includer's end of file may already be in the lookahead: drop it, the lexer gives it
    // again once the included file is done.
    if (this.#buffer.length > 0 && this.#buffer[this.#buffer.length - 1].kind === "eof") {
      this.#buffer.pop();
    }
    this.pushFile(read.text, path, read.id ?? path, open);
  }

  // --- scopes ---

  #parseScope(kw: Token): void {
    const nameTok = this.#peek();
    if (!isValue(nameTok)) {
      this.#error(nameTok, `expected a scope name after "name", found ${describe(nameTok)}`);
      return this.#skipStatement(false);
    }
    this.#next();
    let ok = true;
    if (!SCOPE_NAME.test(nameTok.value)) {
      this.#error(
        nameTok,
        `invalid scope name "${nameTok.value}": use letters, digits, "_", "-" and ".", ` +
          'starting with a letter or "_"',
      );
      ok = false;
    }
    const t = this.#peek();
    if (!isValue(t)) {
      this.#error(
        t,
        `expected a multicast PREFIX after "name ${nameTok.value}", found ${describe(t)}`,
      );
      return this.#skipStatement(false);
    }
    this.#next();
    const prefix = this.#parsePrefix(t, `scope "${nameTok.value}"`);
    if (prefix === undefined) return this.#skipStatement(false);
    const problem = notMulticast(prefix, t.value);
    if (problem !== undefined) {
      this.#error(t, problem);
      ok = false;
    }
    const first = this.#config.scopes.find((s) => s.name === nameTok.value);
    if (first !== undefined) {
      this.#error(
        nameTok,
        `scope "${nameTok.value}" is defined twice (first at ${where(first.position)})`,
      );
      ok = false;
    }
    if (ok) {
      this.#config.scopes.push({ name: nameTok.value, prefix, position: kw.position });
    }
    this.#endStatement(false);
  }

  // --- interface blocks ---

  #parseInterface(kw: Token): void {
    const nameTok = this.#peek();
    let name: string | undefined;
    if (isValue(nameTok)) {
      this.#next();
      const problem = checkInterfaceName(nameTok.value);
      if (problem === undefined) name = nameTok.value;
      else this.#error(nameTok, problem);
    } else if (nameTok.kind !== "lbrace") {
      this.#error(
        nameTok,
        `expected an interface name after "interface", found ${describe(nameTok)}`,
      );
      return this.#skipStatement(false);
    } else {
      this.#error(nameTok, 'expected an interface name after "interface", found "{"');
    }
    // The "{" may also start the next line.
    let k = 0;
    while (this.#peek(k).kind === "newline" && !this.#peek(k).endOfFile) k++;
    if (this.#peek(k).kind !== "lbrace") {
      const t = this.#peek();
      const label = name === undefined ? "" : ` "${name}"`;
      this.#error(t, `expected "{" after interface${label}, found ${describe(t)}`);
      return this.#skipStatement(false);
    }
    for (let i = 0; i <= k; i++) this.#next();

    let parsed = name === undefined
      ? undefined
      : this.#interfaces.find((p) => p.config.name === name);
    if (parsed !== undefined) {
      this.#warn(
        kw.position,
        `interface "${name}" is configured again (first at ${
          where(parsed.config.position)
        }): the blocks are merged`,
      );
    } else {
      parsed = {
        config: {
          name: name ?? "",
          role: "disabled",
          threshold: THRESHOLD_MIN,
          sources: [],
          timers: {},
          boundaries: [],
          position: kw.position,
        },
        seen: new Map(),
        timerAt: new Map(),
        namedBoundaries: [],
        boundaryAt: new Map(),
      };
      if (name !== undefined) this.#interfaces.push(parsed);
    }
    const closed = this.#parseInterfaceBody(parsed, kw);
    if (closed) this.#endStatement(false);
  }

  /** Parses statements up to and including the `}`; returns whether the `}` was there. */
  #parseInterfaceBody(parsed: ParsedInterface, kw: Token): boolean {
    const label = `interface "${parsed.config.name}" (at ${where(kw.position)})`;
    for (;;) {
      const t = this.#peek();
      switch (t.kind) {
        case "newline":
          if (t.endOfFile) {
            this.#error(t, `expected "}" to close ${label}, found the end of "${t.position.file}"`);
            return false;
          }
          this.#next();
          continue;
        case "rbrace":
          this.#next();
          return true;
        case "eof":
          this.#error(t, `expected "}" to close ${label}, found end of file`);
          return false;
        case "word":
          if (t.value === "interface") {
            // Most likely a forgotten "}": end this block and parse the next one.
            this.#error(t, `expected "}" to close ${label} before the next "interface"`);
            return false;
          }
          if (this.#peek(1).kind === "equals") {
            this.#error(t, "macros can only be defined at top level");
            this.#skipStatement(true);
            continue;
          }
          this.#parseInterfaceStatement(parsed);
          continue;
        default:
          this.#error(t, `expected a keyword, found ${describe(t)}`);
          this.#next();
          this.#skipStatement(true);
      }
    }
  }

  #parseInterfaceStatement(parsed: ParsedInterface): void {
    const iface = parsed.config;
    const kw = this.#next();
    const scope = ` in interface "${iface.name}"`;
    const timer = TIMER_KEYWORDS.find((k) => k.keyword === kw.value);
    if (timer !== undefined) {
      const value = this.#parseTimerValue(kw, timer);
      if (value === undefined) return this.#skipStatement(true);
      this.#noteSeen(parsed.seen, kw, scope);
      iface.timers[timer.field] = value;
      parsed.timerAt.set(timer.field, kw.position);
      return this.#endStatement(true);
    }
    switch (kw.value) {
      case "ipv4":
      case "ipv6": {
        const on = this.#parseYesNo(kw);
        if (on === undefined) return this.#skipStatement(true);
        this.#noteSeen(parsed.seen, kw, scope);
        iface[kw.value as "ipv4" | "ipv6"] = on;
        break;
      }
      case "threshold": {
        const ttl = this.#parseInteger(kw, THRESHOLD_MIN, THRESHOLD_MAX);
        if (ttl === undefined) return this.#skipStatement(true);
        this.#noteSeen(parsed.seen, kw, scope);
        iface.threshold = ttl;
        break;
      }
      case "source": {
        const t = this.#peek();
        if (!isValue(t)) {
          this.#error(t, `expected ADDRESS/PREFIX after "source", found ${describe(t)}`);
          return this.#skipStatement(true);
        }
        this.#next();
        const prefix = this.#parsePrefix(t, "source");
        if (prefix === undefined) return this.#skipStatement(true);
        if (iface.sources.some((s) => samePrefix(s, prefix))) {
          this.#warn(
            kw.position,
            `source "${prefix.address}/${prefix.length}" is listed twice${scope}`,
          );
        } else {
          iface.sources.push(prefix);
        }
        break;
      }
      case "boundary":
        if (!this.#parseBoundary(parsed)) return this.#skipStatement(true);
        break;
      case "upstream":
      case "downstream":
      case "disabled":
        if (parsed.roleAt !== undefined) {
          if (iface.role !== kw.value) {
            this.#error(
              kw,
              `interface "${iface.name}" cannot be ${kw.value}: it is already ${iface.role} ` +
                `(at ${where(parsed.roleAt)})`,
            );
            return this.#skipStatement(true);
          }
          this.#warn(
            kw.position,
            `interface "${iface.name}" is made ${kw.value} twice (first at ${
              where(parsed.roleAt)
            })`,
          );
        }
        iface.role = kw.value as Role;
        parsed.roleAt = kw.position;
        break;
      case "include":
      case "name":
        this.#error(kw, `"${kw.value}" is only valid at top level`);
        return this.#skipStatement(true);
      default:
        this.#unknownKeyword(kw, INTERFACE_KEYWORDS);
        return this.#skipStatement(true);
    }
    this.#endStatement(true);
  }

  /** Parses the argument of `boundary`; returns whether it was usable. */
  #parseBoundary(parsed: ParsedInterface): boolean {
    const t = this.#peek();
    if (!isValue(t)) {
      this.#error(t, `expected a scope name or PREFIX after "boundary", found ${describe(t)}`);
      return false;
    }
    this.#next();
    if (SCOPE_NAME.test(t.value)) {
      const boundary: Boundary = { name: t.value, prefix: { family: 4, address: "", length: 0 } };
      parsed.config.boundaries.push(boundary);
      parsed.namedBoundaries.push({ boundary, token: t });
      parsed.boundaryAt.set(boundary, t.position);
      return true;
    }
    const prefix = this.#parsePrefix(t, "boundary");
    if (prefix === undefined) return false;
    const problem = notMulticast(prefix, t.value);
    if (problem !== undefined) {
      this.#error(t, problem);
      return false;
    }
    const boundary: Boundary = { prefix };
    parsed.config.boundaries.push(boundary);
    parsed.boundaryAt.set(boundary, t.position);
    return true;
  }

  /** Parses a whole number in `min`-`max` after `kw`. */
  #parseInteger(kw: Token, min: number, max: number): number | undefined {
    const t = this.#peek();
    if (!isValue(t)) {
      this.#error(t, `expected a number after "${kw.value}", found ${describe(t)}`);
      return undefined;
    }
    this.#next();
    if (!/^-?[0-9]+$/.test(t.value)) {
      this.#error(t, `${kw.value} "${t.value}" is not a number`);
      return undefined;
    }
    const n = Number(t.value);
    if (n < min || n > max) {
      this.#error(t, `${kw.value} "${t.value}" is out of range (${min}-${max})`);
      return undefined;
    }
    return n;
  }

  /** Parses a timer's value: a count, or seconds with one decimal at most (returned in ms). */
  #parseTimerValue(kw: Token, timer: TimerKeyword): number | undefined {
    if (timer.unit === "count") {
      const n = this.#parseInteger(kw, timer.min, timer.max);
      if (n === 1 && timer.field === "robustness") {
        this.#warn(
          kw.position,
          "robustness 1 leaves no margin for a lost packet: 2 or more is recommended",
        );
      }
      return n;
    }
    const t = this.#peek();
    if (!isValue(t)) {
      this.#error(t, `expected a number of seconds after "${kw.value}", found ${describe(t)}`);
      return undefined;
    }
    this.#next();
    const m = /^([0-9]+)(?:\.([0-9]+))?$/.exec(t.value);
    if (m === null) {
      this.#error(t, `${kw.value} "${t.value}" is not a number of seconds`);
      return undefined;
    }
    const decimals = (m[2] ?? "").replace(/0+$/, "");
    if (decimals.length > 1) {
      this.#error(t, `${kw.value} "${t.value}" has more than one decimal (the unit is 0.1 s)`);
      return undefined;
    }
    const ms = Number(m[1]) * 1000 + Number(decimals || "0") * 100;
    if (ms < timer.min || ms > timer.max) {
      this.#error(
        t,
        `${kw.value} "${t.value}" is out of range (${formatTimer(timer.field, timer.min)}-${
          formatTimer(timer.field, timer.max)
        } seconds)`,
      );
      return undefined;
    }
    return ms;
  }

  /**
   * Parses `ADDRESS/PREFIX` from token `t` for `what` (e.g. `source`); the result holds the
   * canonical network address, and host bits set get a warning.
   */
  #parsePrefix(t: Token, what: string): Prefix | undefined {
    const raw = t.value;
    const slash = raw.indexOf("/");
    if (slash < 0) {
      this.#error(t, `${what} "${raw}" has no prefix length: expected ADDRESS/PREFIX`);
      return undefined;
    }
    const addressText = raw.slice(0, slash);
    const lengthText = raw.slice(slash + 1);
    const v4 = parseIPv4(addressText);
    const v6 = v4 === undefined ? parseIPv6(addressText) : undefined;
    let ok = true;
    if (v4 === undefined && v6 === undefined) {
      this.#error(t, `invalid address "${addressText}" in ${what} "${raw}"`);
      ok = false;
    }
    if (!/^[0-9]+$/.test(lengthText)) {
      this.#error(t, `invalid prefix length "${lengthText}" in ${what} "${raw}"`);
      return undefined;
    }
    const length = Number(lengthText);
    const family = v4 !== undefined ? 4 : 6;
    const max = family === 4 ? 32 : 128;
    if (length > (ok ? max : 128)) {
      const range = ok ? ` for IPv${family} (0-${max})` : "";
      this.#error(t, `prefix length "${lengthText}" in ${what} "${raw}" is out of range${range}`);
      return undefined;
    }
    if (!ok) return undefined;
    if (v6 !== undefined && isIPv4Mapped(v6)) {
      // ::ffff:a.b.c.d never appears on the wire: IPv4 traffic is matched as IPv4.
      const hint = length >= 96
        ? `: write it as ${formatIPv4(maskIPv4(readIPv4(v6, 12), length - 96))}/${length - 96}`
        : "";
      this.#error(t, `${what} "${raw}" is an IPv4-mapped IPv6 prefix${hint}`);
      return undefined;
    }
    let address: string;
    let exact: boolean;
    if (v4 !== undefined) {
      address = formatIPv4(maskIPv4(v4, length));
      exact = maskIPv4(v4, length) === v4;
    } else {
      const masked = maskIPv6(v6 as Uint8Array, length);
      address = formatIPv6(masked);
      exact = masked.every((b, i) => b === (v6 as Uint8Array)[i]);
    }
    if (!exact) {
      this.#warn(
        t.position,
        `${what} ${raw} is not a network address: did you mean ${address}/${length}?`,
      );
    }
    return { family, address, length };
  }

  // --- whole-file checks ---

  /** Gives named boundaries their scope's prefix; unknown names are errors. */
  #resolveBoundaries(): void {
    const scopes = new Map<string, Scope>(this.#config.scopes.map((s) => [s.name, s]));
    for (const parsed of this.#interfaces) {
      const unresolved = new Set<Boundary>();
      for (const { boundary, token } of parsed.namedBoundaries) {
        const scope = scopes.get(token.value);
        if (scope === undefined) {
          const hint = closest(token.value, [[...scopes.keys()]]);
          this.#error(
            token,
            `unknown scope "${token.value}" in boundary` +
              (hint === undefined
                ? ` (define it with "name ${token.value} PREFIX")`
                : `: did you mean "${hint}"?`),
          );
          unresolved.add(boundary);
        } else {
          boundary.prefix = { ...scope.prefix };
        }
      }
      const kept: Boundary[] = [];
      for (const b of parsed.config.boundaries) {
        if (unresolved.has(b)) continue;
        const first = kept.find((k) => samePrefix(k.prefix, b.prefix));
        if (first !== undefined) {
          const label = (x: Boundary) => x.name ?? `${x.prefix.address}/${x.prefix.length}`;
          const firstAt = parsed.boundaryAt.get(first) ?? parsed.config.position;
          this.#warn(
            parsed.boundaryAt.get(b) ?? parsed.config.position,
            `boundary "${label(b)}" repeats "${label(first)}" (at ${where(firstAt)}) in ` +
              `interface "${parsed.config.name}"`,
          );
          continue;
        }
        kept.push(b);
      }
      parsed.config.boundaries = kept;
    }
  }

  #checkInterfaces(): void {
    const upstreams = this.#interfaces.filter((p) => p.config.role === "upstream");
    if (upstreams.length === 0) {
      this.#error(this.#end, "no upstream interface configured");
      return;
    }

    const [first, ...more] = upstreams;
    for (const p of more) {
      this.#error(
        p.roleAt ?? p.config.position,
        `interface "${p.config.name}" cannot be upstream: "${first.config.name}" already is ` +
          `(at ${where(first.roleAt ?? first.config.position)})`,
      );
    }
  }

  /**
   * Checks the RFC constraint between timers (Query Response Interval < Query Interval) at top
   * level and in every downstream block that sets one of the two, and warns about timers in an
   * upstream block, where nothing uses them.
   */
  #checkTimers(): void {
    this.#checkResponseInterval(this.#config.timers, this.#timerAt, undefined);
    for (const parsed of this.#interfaces) {
      const iface = parsed.config;
      if (iface.role === "upstream") {
        for (const [field, at] of parsed.timerAt) {
          const keyword = TIMER_KEYWORDS.find((k) => k.field === field)?.keyword;
          this.#warn(
            at,
            `${keyword} has no effect on upstream interface "${iface.name}" ` +
              "(the upstream querier sets the timers there)",
          );
        }
        continue;
      }
      if (iface.role !== "downstream") continue;
      if (!parsed.timerAt.has("queryInterval") && !parsed.timerAt.has("queryResponseInterval")) {
        continue;
      }
      this.#checkResponseInterval(iface.timers, parsed.timerAt, iface.name);
    }
  }

  #checkResponseInterval(
    local: TimerSettings,
    localAt: Map<keyof ProtocolTimers, Position>,
    ifname: string | undefined,
  ): void {
    const t = effectiveTimers(
      this.#config,
      ifname === undefined ? undefined : { timers: local },
    );
    if (t.queryResponseInterval < t.queryInterval) return;
    const at = (field: keyof ProtocolTimers) => localAt.get(field) ?? this.#timerAt.get(field);
    const qriAt = at("queryResponseInterval");
    const qiAt = at("queryInterval");
    // Report where the local level set one of the two; prefer the response interval.
    const here = localAt.get("queryResponseInterval") ?? localAt.get("queryInterval");
    if (here === undefined) return;
    const inIface = ifname === undefined ? "" : ` in interface "${ifname}"`;
    this.#error(
      here,
      `query-response-interval ${
        formatTimer("queryResponseInterval", t.queryResponseInterval)
      } s must be less than ` +
        `query-interval ${formatTimer("queryInterval", t.queryInterval)} s${inIface} (` +
        (here === qriAt
          ? origin("query-interval", qiAt)
          : origin("query-response-interval", qriAt)) +
        ")",
    );
  }

  /** Warns when no interface in use has IPv4 or IPv6 on. */
  #checkFamilies(): void {
    const used = this.#interfaces.filter((p) => p.config.role !== "disabled");
    if (used.length === 0) return;
    const on = used.some((p) =>
      (p.config.ipv4 ?? this.#config.ipv4) || (p.config.ipv6 ?? this.#config.ipv6)
    );
    if (!on) {
      this.#warn(this.#end, "IPv4 and IPv6 are both off on every interface: nothing is proxied");
    }
  }
}
