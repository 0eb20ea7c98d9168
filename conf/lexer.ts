/**
 * The tokenizer of mcast-proxy.conf, after OpenBSD's parse.y `yylex`.
 *
 * - `#` starts a comment that runs to the end of the line.
 * - A backslash right before a newline joins the two lines, outside and inside quoted strings
 *   (but not in a comment: a comment always ends at its newline).
 * - `"..."` and `'...'` are quoted strings; `\"` (or `\'`) and `\\` are the only escapes.
 *   A quoted string cannot span a line unless the line ends in a backslash.
 * - `{`, `}` and `=` are tokens of their own; newlines are tokens too, because they separate
 *   statements; spaces, tabs and carriage returns only separate tokens.
 * - Anything else up to one of those characters is a word (a backslash not followed by a
 *   newline is an ordinary character).
 * - `$name` at the start of a token is replaced by the tokens of the macro's value, all carrying
 *   the position of the `$`. Values are not expanded again. Macros are not expanded in quotes.
 *
 * The lexer knows no keywords (a quoted `"upstream"` and a bare `upstream` differ only in
 * {@link Token.kind}); macro definitions are recognised by the parser, which stores them in the
 * {@link MacroTable} shared with the lexer, so a definition applies from the next line on.
 *
 * @module
 */

import type { ConfigDiagnostic, Position } from "./config.ts";

/** The keywords of the grammar; macro names may not be one of them. */
export const KEYWORDS: readonly string[] = [
  "boundary",
  "disabled",
  "downstream",
  "igmp-version",
  "include",
  "interface",
  "ipv4",
  "ipv6",
  "last-member-query-count",
  "last-member-query-interval",
  "mld-version",
  "name",
  "no",
  "query-interval",
  "query-response-interval",
  "robustness",
  "source",
  "ssm-range",
  "startup-query-count",
  "startup-query-interval",
  "threshold",
  "upstream",
  "yes",
];

/** What a token is. */
export type TokenKind =
  | "word"
  | "string"
  | "lbrace"
  | "rbrace"
  | "equals"
  | "newline"
  | "eof"
  | "invalid";

/** One token. */
export interface Token {
  /**
   * `word` (bare), `string` (quoted), `lbrace`, `rbrace`, `equals`, `newline`, `eof`, or
   * `invalid` for input the lexer has already reported an error about.
   */
  kind: TokenKind;
  /** The text: a word, the unescaped content of a string, `{`, `}`, `=`, or `""`. */
  value: string;
  /** Where the token starts (for an expanded macro: where the `$` is). */
  position: Position;
  /** The name of the macro this token was expanded from, if any. */
  macro?: string;
  /** Set on the newline the parser puts where an included file ends. */
  endOfFile?: boolean;
}

/** A macro definition. */
interface Macro {
  value: string;
  persist: boolean;
}

/**
 * Macro definitions shared by the parser (which defines) and the lexers (which expand).
 * Persistent definitions (command-line `-D name=value`) win over later ones from the file.
 */
export class MacroTable {
  #macros = new Map<string, Macro>();

  /** Creates a table holding `persistent` as command-line (`-D`) definitions. */
  constructor(persistent: Record<string, string> = {}) {
    for (const [name, value] of Object.entries(persistent)) {
      this.define(name, value, { persist: true });
    }
  }

  /**
   * Defines `name`. A file definition (`persist` false) of a name defined on the command line
   * is ignored, as in OpenBSD.
   *
   * @returns whether the definition took effect.
   */
  define(name: string, value: string, options: { persist?: boolean } = {}): boolean {
    const old = this.#macros.get(name);
    if (old !== undefined && old.persist && !options.persist) return false;
    this.#macros.set(name, { value, persist: options.persist ?? false });
    return true;
  }

  /** The value of `name`, or `undefined` when it is not defined. */
  get(name: string): string | undefined {
    return this.#macros.get(name)?.value;
  }
}

const MACRO_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
const MACRO_NAME_CHAR = /[A-Za-z0-9_]/;

/**
 * Checks a macro name: letters, digits and underscores, not starting with a digit, and not a
 * keyword.
 *
 * @returns an error message, or `undefined` when the name is fine.
 */
export function checkMacroName(name: string): string | undefined {
  if (!MACRO_NAME.test(name)) {
    return `invalid macro name "${name}": use letters, digits and "_", not starting with a digit`;
  }
  if (KEYWORDS.includes(name)) return `macro name "${name}" is a keyword`;
  return undefined;
}

/** Characters that end a word (besides white space and control characters). */
const WORD_BREAK = new Set(["{", "}", "=", "#", '"', "'"]);

/** Options of a {@link Lexer}. */
export interface LexerOptions {
  /** File name put in every position. */
  file: string;
  /** Macros to expand `$name` with; without a table `$` is an ordinary character. */
  macros?: MacroTable;
  /** Where errors go; the lexer appends to it. */
  diagnostics?: ConfigDiagnostic[];
}

/**
 * A pull tokenizer over one file's text. Call {@link Lexer.next} until it returns `eof`; it
 * keeps returning `eof` after that.
 */
export class Lexer {
  /** The file name in positions. */
  readonly file: string;
  /** Errors found so far (shared with the caller when given in the options). */
  readonly diagnostics: ConfigDiagnostic[];
  readonly #text: string;
  readonly #macros: MacroTable | undefined;
  #i = 0;
  #line = 1;
  #col = 1;
  /** Tokens of a macro expansion still to hand out. */
  #pending: Token[] = [];

  /** Creates a lexer over `text`. */
  constructor(text: string, options: LexerOptions) {
    // A byte order mark is not part of the text.
    this.#text = text.startsWith("\ufeff") ? text.slice(1) : text;
    this.file = options.file;
    this.#macros = options.macros;
    this.diagnostics = options.diagnostics ?? [];
  }

  /** Returns the next token. */
  next(): Token {
    for (;;) {
      const queued = this.#pending.shift();
      if (queued !== undefined) return queued;
      const tok = this.#scan();
      if (tok !== undefined) return tok;
    }
  }

  /** Scans one token; `undefined` when a macro expansion was queued instead. */
  #scan(): Token | undefined {
    let c = this.#peek();
    while (c === " " || c === "\t" || c === "\r" || c === "\f" || c === "\v") {
      this.#advance();
      c = this.#peek();
    }
    if (c === "#") {
      // Raw scan: a backslash at the end of a comment does not continue it.
      while (this.#i < this.#text.length && this.#text[this.#i] !== "\n") this.#advance();
      c = this.#peek();
    }
    const position = this.#position();
    if (c === undefined) return { kind: "eof", value: "", position };
    switch (c) {
      case "\n":
        this.#advance();
        return { kind: "newline", value: "\n", position };
      case "{":
        this.#advance();
        return { kind: "lbrace", value: "{", position };
      case "}":
        this.#advance();
        return { kind: "rbrace", value: "}", position };
      case "=":
        this.#advance();
        return { kind: "equals", value: "=", position };
      case '"':
      case "'":
        return this.#scanString(c, position);
      case "$":
        if (this.#macros !== undefined) return this.#scanMacro(position);
    }
    if (isControl(c)) {
      this.#advance();
      return this.#invalid(position, unexpectedCharacter(c));
    }
    let word = "";
    while (c !== undefined && !isSpace(c) && !isControl(c) && !WORD_BREAK.has(c)) {
      word += c;
      this.#advance();
      c = this.#peek();
    }
    return { kind: "word", value: word, position };
  }

  /** Scans a quoted string whose opening quote is the current character. */
  #scanString(quote: string, position: Position): Token {
    this.#advance();
    let value = "";
    let bad: { position: Position; message: string } | undefined;
    for (;;) {
      const c = this.#peek();
      if (c === undefined || c === "\n") {
        return this.#invalid(position, "unterminated quoted string");
      }
      if (bad === undefined && isControl(c)) {
        bad = { position: this.#position(), message: `${unexpectedCharacter(c)} in quoted string` };
      }
      this.#advance();
      if (c === quote) {
        return bad === undefined
          ? { kind: "string", value, position }
          : this.#invalid(bad.position, bad.message);
      }
      if (c === "\\") {
        const next = this.#peek();
        if (next === quote || next === "\\") {
          value += next;
          this.#advance();
          continue;
        }
      }
      value += c;
    }
  }

  /** Scans `$name` and queues the tokens of its value. */
  #scanMacro(position: Position): Token | undefined {
    this.#advance();
    let name = "";
    let c = this.#peek();
    while (c !== undefined && MACRO_NAME_CHAR.test(c)) {
      name += c;
      this.#advance();
      c = this.#peek();
    }
    if (name === "") return this.#invalid(position, 'expected a macro name after "$"');
    const value = this.#macros?.get(name);
    if (value === undefined) return this.#invalid(position, `undefined macro "${name}"`);
    const inner: ConfigDiagnostic[] = [];
    const sub = new Lexer(value, { file: this.file, diagnostics: inner });
    for (let t = sub.next(); t.kind !== "eof"; t = sub.next()) {
      this.#pending.push({ ...t, position, macro: name });
    }
    for (const d of inner) {
      this.diagnostics.push({ ...d, position, message: `in macro "${name}": ${d.message}` });
    }
    return undefined;
  }

  #invalid(position: Position, message: string): Token {
    this.diagnostics.push({ position, message, severity: "error" });
    return { kind: "invalid", value: "", position };
  }

  #position(): Position {
    return { file: this.file, line: this.#line, col: this.#col };
  }

  /** The current character after skipping backslash-newline continuations. */
  #peek(): string | undefined {
    const t = this.#text;
    for (;;) {
      if (t[this.#i] !== "\\") break;
      if (t[this.#i + 1] === "\n") this.#i += 2;
      else if (t[this.#i + 1] === "\r" && t[this.#i + 2] === "\n") this.#i += 3;
      else break;
      this.#line++;
      this.#col = 1;
    }
    return t[this.#i];
  }

  /** Moves past the current character (call `#peek` first to skip continuations). */
  #advance(): void {
    const code = this.#text.charCodeAt(this.#i);
    if (code === 0x0a) {
      this.#line++;
      this.#col = 1;
    } else if (code < 0xdc00 || code > 0xdfff) {
      // Low surrogates do not start a new column.
      this.#col++;
    }
    this.#i++;
  }
}

function isSpace(c: string): boolean {
  return c === " " || c === "\t" || c === "\n" || c === "\r" || c === "\f" || c === "\v";
}

/**
 * Control characters, and characters that look like white space or nothing at all (no-break
 * and other Unicode spaces, zero-width characters, a byte order mark inside the text) or that
 * stand for bytes that were not UTF-8: none belongs in a configuration.
 */
function isControl(c: string): boolean {
  const code = c.charCodeAt(0);
  return (code < 0x20 && !isSpace(c)) || (code >= 0x7f && code <= 0x9f) ||
    /[\u00a0\u1680\u2000-\u200f\u2028-\u202f\u205f\u2060\u3000\ufeff\ufffd]/.test(c);
}

/** The message for a character {@link isControl} refuses. */
function unexpectedCharacter(c: string): string {
  const code = c.charCodeAt(0).toString(16).toUpperCase().padStart(4, "0");
  if (code === "FFFD") return "unexpected character U+FFFD (is the file not UTF-8?)";
  return `unexpected character U+${code}`;
}

/**
 * Tokenizes a whole text (up to and including `eof`); for tests and tools.
 *
 * @example
 * ```ts
 * tokenize("interface em1 { downstream }", { file: "x.conf" }).tokens.map((t) => t.kind);
 * // ["word", "word", "lbrace", "word", "rbrace", "eof"]
 * ```
 */
export function tokenize(
  text: string,
  options: LexerOptions,
): { tokens: Token[]; diagnostics: ConfigDiagnostic[] } {
  const lexer = new Lexer(text, options);
  const tokens: Token[] = [];
  for (;;) {
    const t = lexer.next();
    tokens.push(t);
    if (t.kind === "eof") break;
  }
  return { tokens, diagnostics: lexer.diagnostics };
}
