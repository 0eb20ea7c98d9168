/**
 * The parser of mcast-proxy.conf(5): statements, macros, interface blocks and the checks that
 * need the whole file (one upstream, no interface twice).
 *
 * ```
 * file      = { [ statement ] NEWLINE }
 * statement = NAME "=" value { value }                 macro definition (top level only)
 *           | ("ipv4" | "ipv6") ("yes" | "no")
 *           | "interface" NAME { NEWLINE } "{" { [ ifstmt ] (NEWLINE | before "}") } "}"
 * ifstmt    = ("ipv4" | "ipv6") ("yes" | "no")
 *           | "threshold" NUMBER                       1-255
 *           | "source" ADDRESS "/" PREFIX               IPv4 or IPv6, repeatable
 *           | "upstream" | "downstream" | "disabled"
 * ```
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

import type {
  Config,
  ConfigDiagnostic,
  InterfaceConfig,
  Position,
  Prefix,
  Role,
} from "./config.ts";
import { checkMacroName, Lexer, MacroTable, type Token } from "./lexer.ts";
import {
  formatIPv4,
  formatIPv6,
  maskIPv4,
  maskIPv6,
  parseIPv4,
  parseIPv6,
} from "../src/proto/addr.ts";

/** Options of {@link parseConfig}. */
export interface ParseOptions {
  /** File name for positions in diagnostics. */
  file: string;
  /** Command-line `-D name=value` macros; they override definitions in the file. */
  macros?: Record<string, string>;
}

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

const TOP_KEYWORDS = ["ipv4", "ipv6", "interface", "include"];
const INTERFACE_KEYWORDS = [
  "ipv4",
  "ipv6",
  "threshold",
  "source",
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
  const parser = new Parser(new MacroTable(options.macros ?? {}));
  parser.pushFile(text, options.file);
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
  for (const candidates of [preferred, others]) {
    let best: string | undefined;
    let bestDistance = 3;
    for (const k of candidates) {
      const dist = editDistance(word.toLowerCase(), k);
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

/** Checks an interface name; returns an error message or `undefined`. */
function checkInterfaceName(name: string): string | undefined {
  if (name === "") return "interface name is empty";
  if (name.length >= IFNAMSIZ) {
    return `interface name "${name}" is too long (at most ${IFNAMSIZ - 1} characters)`;
  }
  if (/\s/.test(name)) return `interface name "${name}" contains white space`;
  return undefined;
}

/** An interface block with the positions the whole-file checks need. */
interface ParsedInterface {
  config: InterfaceConfig;
  /** Where its role keyword is, when it has one. */
  roleAt?: Position;
}

/** One parse: a token stream over a stack of files, the configuration built so far, messages. */
class Parser {
  readonly #macros: MacroTable;
  readonly #lexers: Lexer[] = [];
  /** File names in the order they were opened, for sorting diagnostics. */
  readonly #files: string[] = [];
  /** Lookahead. */
  readonly #buffer: Token[] = [];
  readonly #diagnostics: ConfigDiagnostic[] = [];
  readonly #config: Config = { ipv4: true, ipv6: false, interfaces: [] };
  readonly #interfaces: ParsedInterface[] = [];
  /** Where each global setting was last given, for "set twice" warnings. */
  readonly #globalsSeen = new Map<string, Position>();
  /** The last token handed out, for "after ..." in messages. */
  #last: Token | undefined;
  /** End of the top-level file, for errors about the file as a whole. */
  #end: Position = { file: "", line: 1, col: 1 };

  constructor(macros: MacroTable) {
    this.#macros = macros;
  }

  /**
   * Makes `text` the file tokens are read from until its end, then goes back to the file that
   * was being read. For `include`, call it once the statement's last token has been consumed
   * and nothing beyond it is in the lookahead.
   */
  pushFile(text: string, file: string): void {
    if (this.#lexers.length === 0) this.#end = { file, line: 1, col: 1 };
    if (!this.#files.includes(file)) this.#files.push(file);
    this.#lexers.push(
      new Lexer(text, { file, macros: this.#macros, diagnostics: this.#diagnostics }),
    );
  }

  /** Parses everything, runs the whole-file checks and returns the result. */
  run(): ParseResult {
    this.#parseTop();
    this.#checkInterfaces();
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
      return { kind: "newline", value: "\n", position: t.position };
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
    switch (kw.value) {
      case "ipv4":
      case "ipv6": {
        const on = this.#parseYesNo(kw);
        if (on === undefined) return this.#skipStatement(false);
        const first = this.#globalsSeen.get(kw.value);
        if (first !== undefined) {
          this.#warn(
            kw.position,
            `"${kw.value}" is set twice (first at ${where(first)}): the last one applies`,
          );
        }
        this.#globalsSeen.set(kw.value, kw.position);
        this.#config[kw.value as "ipv4" | "ipv6"] = on;
        return this.#endStatement(false);
      }
      case "interface":
        return this.#parseInterface(kw);
      case "include":
        this.#error(kw, '"include" is not supported yet');
        return this.#skipStatement(false);
      default:
        if (INTERFACE_KEYWORDS.includes(kw.value)) {
          this.#error(kw, `"${kw.value}" is only valid inside an interface block`);
        } else {
          this.#unknownKeyword(kw, TOP_KEYWORDS);
        }
        return this.#skipStatement(false);
    }
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
    while (this.#peek(k).kind === "newline") k++;
    if (this.#peek(k).kind !== "lbrace") {
      const t = this.#peek();
      const label = name === undefined ? "" : ` "${name}"`;
      this.#error(t, `expected "{" after interface${label}, found ${describe(t)}`);
      return this.#skipStatement(false);
    }
    for (let i = 0; i <= k; i++) this.#next();

    const parsed: ParsedInterface = {
      config: {
        name: name ?? "",
        role: "disabled",
        threshold: THRESHOLD_MIN,
        sources: [],
        position: kw.position,
      },
    };
    const closed = this.#parseInterfaceBody(parsed, kw);
    if (name !== undefined) this.#interfaces.push(parsed);
    if (closed) this.#endStatement(false);
  }

  /** Parses statements up to and including the `}`; returns whether the `}` was there. */
  #parseInterfaceBody(parsed: ParsedInterface, kw: Token): boolean {
    const seen = new Map<string, Position>();
    const label = `interface "${parsed.config.name}" (at ${where(kw.position)})`;
    for (;;) {
      const t = this.#peek();
      switch (t.kind) {
        case "newline":
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
          this.#parseInterfaceStatement(parsed, seen);
          continue;
        default:
          this.#error(t, `expected a keyword, found ${describe(t)}`);
          this.#next();
          this.#skipStatement(true);
      }
    }
  }

  #parseInterfaceStatement(parsed: ParsedInterface, seen: Map<string, Position>): void {
    const iface = parsed.config;
    const kw = this.#next();
    const noteSeen = () => {
      const first = seen.get(kw.value);
      if (first !== undefined) {
        this.#warn(
          kw.position,
          `"${kw.value}" is set twice in interface "${iface.name}" (first at ${where(first)}): ` +
            "the last one applies",
        );
      }
      seen.set(kw.value, kw.position);
    };
    switch (kw.value) {
      case "ipv4":
      case "ipv6": {
        const on = this.#parseYesNo(kw);
        if (on === undefined) return this.#skipStatement(true);
        noteSeen();
        iface[kw.value as "ipv4" | "ipv6"] = on;
        break;
      }
      case "threshold": {
        const ttl = this.#parseThreshold(kw);
        if (ttl === undefined) return this.#skipStatement(true);
        noteSeen();
        iface.threshold = ttl;
        break;
      }
      case "source": {
        const prefix = this.#parseSource(kw);
        if (prefix === undefined) return this.#skipStatement(true);
        const dup = iface.sources.some((s) =>
          s.family === prefix.family && s.address === prefix.address && s.length === prefix.length
        );
        if (dup) {
          this.#warn(
            kw.position,
            `source "${prefix.address}/${prefix.length}" is listed twice in interface ` +
              `"${iface.name}"`,
          );
        } else {
          iface.sources.push(prefix);
        }
        break;
      }
      case "upstream":
      case "downstream":
      case "disabled":
        if (parsed.roleAt !== undefined) {
          this.#error(
            kw,
            `interface "${iface.name}" already has role "${iface.role}" ` +
              `(set at ${where(parsed.roleAt)})`,
          );
          return this.#skipStatement(true);
        }
        iface.role = kw.value as Role;
        parsed.roleAt = kw.position;
        break;
      case "include":
        this.#error(kw, '"include" is only valid at top level');
        return this.#skipStatement(true);
      default:
        this.#unknownKeyword(kw, INTERFACE_KEYWORDS);
        return this.#skipStatement(true);
    }
    this.#endStatement(true);
  }

  #parseThreshold(kw: Token): number | undefined {
    const t = this.#peek();
    if (!isValue(t)) {
      this.#error(t, `expected a number after "threshold", found ${describe(t)}`);
      return undefined;
    }
    this.#next();
    if (!/^[+-]?[0-9]+$/.test(t.value)) {
      this.#error(t, `${kw.value} "${t.value}" is not a number`);
      return undefined;
    }
    const n = Number(t.value);
    if (n < THRESHOLD_MIN || n > THRESHOLD_MAX) {
      this.#error(
        t,
        `${kw.value} "${t.value}" is out of range (${THRESHOLD_MIN}-${THRESHOLD_MAX})`,
      );
      return undefined;
    }
    return n;
  }

  /** Parses `ADDRESS/PREFIX`; the result holds the canonical network address. */
  #parseSource(kw: Token): Prefix | undefined {
    const t = this.#peek();
    if (!isValue(t)) {
      this.#error(t, `expected ADDRESS/PREFIX after "${kw.value}", found ${describe(t)}`);
      return undefined;
    }
    this.#next();
    const raw = t.value;
    const slash = raw.indexOf("/");
    if (slash < 0) {
      this.#error(t, `source "${raw}" has no prefix length: expected ADDRESS/PREFIX`);
      return undefined;
    }
    const addressText = raw.slice(0, slash);
    const lengthText = raw.slice(slash + 1);
    const v4 = parseIPv4(addressText);
    const v6 = v4 === undefined ? parseIPv6(addressText) : undefined;
    let ok = true;
    if (v4 === undefined && v6 === undefined) {
      this.#error(t, `invalid address "${addressText}" in source "${raw}"`);
      ok = false;
    }
    if (!/^[0-9]+$/.test(lengthText)) {
      this.#error(t, `invalid prefix length "${lengthText}" in source "${raw}"`);
      return undefined;
    }
    const length = Number(lengthText);
    const family = v4 !== undefined ? 4 : 6;
    const max = family === 4 ? 32 : 128;
    if (length > (ok ? max : 128)) {
      const range = ok ? ` for IPv${family} (0-${max})` : "";
      this.#error(t, `prefix length "${lengthText}" in source "${raw}" is out of range${range}`);
      return undefined;
    }
    if (!ok) return undefined;
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
        `source ${raw} is not a network address: did you mean ${address}/${length}?`,
      );
    }
    return { family, address, length };
  }

  // --- whole-file checks ---

  #checkInterfaces(): void {
    const byName = new Map<string, ParsedInterface>();
    const unique: ParsedInterface[] = [];
    for (const p of this.#interfaces) {
      const first = byName.get(p.config.name);
      if (first === undefined) {
        byName.set(p.config.name, p);
        unique.push(p);
      } else {
        this.#error(
          p.config.position,
          `interface "${p.config.name}" is configured twice (first at ${
            where(first.config.position)
          })`,
        );
      }
    }
    // A repeated block is reported above; its role is not counted again.
    const upstreams = unique.filter((p) => p.config.role === "upstream");
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
}
