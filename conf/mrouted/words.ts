/**
 * The parser's view of an mrouted.conf: its words, with lookahead, the diagnostics of the
 * parse, and the error recovery of a free-form grammar.
 *
 * The text is cut by the proxy's lexer (conf/lexer.ts, without macros): `#` starts a comment
 * to the end of the line, control characters and bytes that were not UTF-8 are errors, and
 * positions count characters as the proxy's do. Newlines are not significant in mrouted.conf,
 * so they are dropped here: a statement may run over several lines, and several statements may
 * share one. `{`, `}` and `=` are tokens of their own that no statement takes; a quoted string is
 * a value (never a keyword).
 *
 * @module
 */

import type { ConfigDiagnostic, Position } from "../config.ts";
import { Lexer, type Token, type TokenKind } from "../lexer.ts";
import type { ValueResult } from "../values.ts";
import { Diagnostics } from "../diagnostics.ts";
import { isReserved } from "./keywords.ts";

export type { Token, TokenKind };

/** Words longer than this are cut short in messages. */
const SHOWN_MAX = 40;

/**
 * A word as messages show it: cut to 40 characters with `...` after.
 *
 * @example
 * ```ts
 * shown("le0"); // "le0"
 * ```
 */
export function shown(word: string): string {
  return word.length > SHOWN_MAX ? `${word.slice(0, SHOWN_MAX)}...` : word;
}

/**
 * Describes a token for "found ..." in messages.
 *
 * @example
 * ```ts
 * describeWord({ kind: "eof", value: "", position }); // "end of file"
 * ```
 */
export function describeWord(t: Token): string {
  switch (t.kind) {
    case "eof":
      return "end of file";
    case "string":
      return `quoted string "${shown(t.value)}"`;
    default:
      return `"${shown(t.value)}"`;
  }
}

/** Whether a token is a bare word that is a keyword (or one mrouted reserves). */
export function isReservedWord(t: Token): boolean {
  return t.kind === "word" && isReserved(t.value);
}

/** Whether a token can be a value: a quoted string, or a bare word that is not reserved. */
export function isValueToken(t: Token): boolean {
  return t.kind === "string" || (t.kind === "word" && !isReserved(t.value));
}

/** The words of one file, with lookahead and the messages of the parse. */
export class WordStream {
  readonly #lexer: Lexer;
  /** Shared with the lexer, which reports bad characters and unterminated strings here. */
  readonly #diagnostics = new Diagnostics();
  /** Lookahead. */
  readonly #buffer: Token[] = [];
  /** Where the file ends, once the lexer has got there. */
  #end: Position;

  /** A stream over `text`, whose positions name `file`. */
  constructor(text: string, file: string) {
    this.#lexer = new Lexer(text, { file, diagnostics: this.#diagnostics.list });
    this.#end = { file, line: 1, col: 1 };
  }

  /** Where the file ends (known once its end has been peeked at). */
  get end(): Position {
    return this.#end;
  }

  /** The token `k` places ahead (0: the next one), without consuming it. */
  peek(k = 0): Token {
    while (this.#buffer.length <= k) this.#buffer.push(this.#pull());
    return this.#buffer[k];
  }

  /** Consumes and returns the next token; at the end, keeps returning `eof`. */
  next(): Token {
    const t = this.peek();
    if (t.kind !== "eof") this.#buffer.shift();
    return t;
  }

  #pull(): Token {
    for (;;) {
      const t = this.#lexer.next();
      if (t.kind === "newline") continue;
      if (t.kind === "eof") this.#end = t.position;
      return t;
    }
  }

  // --- messages ---

  /** Reports an error at a token (unless the lexer already did) or at a position. */
  error(at: Token | Position, message: string): void {
    this.#diagnostics.error(at, message);
  }

  /** Reports a warning. */
  warn(position: Position, message: string): void {
    this.#diagnostics.warn(position, message);
  }

  /**
   * Reports what a value parser found wrong with token `t` (errors at the token, a warning at
   * its position) and returns the value, or `undefined` when there were errors.
   */
  take<T>(t: Token, result: ValueResult<T>): T | undefined {
    return this.#diagnostics.take(t, result);
  }

  /** Every diagnostic so far, by line and column; those at one place in the order reported. */
  sortedDiagnostics(): ConfigDiagnostic[] {
    return this.#diagnostics.sorted();
  }

  // --- values and recovery ---

  /**
   * Consumes the value after `after` when the next token is one; otherwise reports
   * `expected WHAT after "AFTER", found ...`, consumes nothing and returns `undefined`.
   */
  expectValue(what: string, after: string): Token | undefined {
    const t = this.peek();
    if (isValueToken(t)) return this.next();
    this.error(t, `expected ${what} after "${after}", found ${describeWord(t)}`);
    return undefined;
  }

  /**
   * Skips to the next reserved word or the end of the file: what follows an error up to
   * there belongs to the statement that failed, and is not reported again.
   */
  skipToKeyword(): void {
    for (;;) {
      const t = this.peek();
      if (t.kind === "eof" || isReservedWord(t)) return;
      this.next();
    }
  }
}
