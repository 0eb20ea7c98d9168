/**
 * The parser's view of the input: one stream of tokens read from a stack of files (an
 * `include` pushes the included file and the stream pops back at its end), with lookahead, the
 * diagnostics of the whole parse, and the error recovery every statement shares.
 *
 * @module
 */

import type { ConfigDiagnostic, Position } from "./config.ts";
import { Lexer, type MacroTable, type Token } from "./lexer.ts";
import type { ValueResult } from "./values.ts";
import { Diagnostics } from "./diagnostics.ts";

/** A file to read tokens from: its text, its name in positions and its identity. */
export interface SourceFile {
  /** The file's text. */
  text: string;
  /** Its name, as positions show it. */
  file: string;
  /** What identifies it for include loops (e.g. its real path). */
  id: string;
  /** The identities of the files including it, outermost first. */
  chain?: string[];
}

/**
 * Describes a token for "found ..." in messages.
 *
 * @example
 * ```ts
 * describe({ kind: "newline", value: "\n", position }); // "end of line"
 * ```
 */
export function describe(t: Token): string {
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
export function where(p: Position): string {
  return `${p.file}:${p.line}`;
}

/** Whether a token can be a statement's value: a bare word or a quoted string. */
export function isValue(t: Token): boolean {
  return t.kind === "word" || t.kind === "string";
}

/** Tokens over a stack of files, with lookahead and the messages of the parse. */
export class TokenStream {
  readonly #macros: MacroTable;
  /** The open files, innermost last. */
  readonly #lexers: Lexer[] = [];
  /** For each open file, by its lexer: its identity and those of the files including it. */
  readonly #chains = new Map<Lexer, string[]>();
  /** File names in the order they were opened, for sorting diagnostics. */
  readonly #files: string[] = [];
  /** Lookahead. */
  readonly #buffer: Token[] = [];
  /** Shared with the lexers, which report bad characters and undefined macros here. */
  readonly #diagnostics = new Diagnostics();
  /** The last token handed out, for "after ..." in messages. */
  #last: Token | undefined;
  /** End of the top-level file, for errors about the file as a whole. */
  #end: Position = { file: "", line: 1, col: 1 };

  /** A stream with no file yet; `macros` is shared with every file's lexer. */
  constructor(macros: MacroTable) {
    this.#macros = macros;
  }

  /**
   * Makes a file the one tokens are read from until its end, then goes back to the file that
   * was being read. The first file pushed is the top-level file.
   */
  pushFile(source: SourceFile): void {
    const { text, file, id, chain = [] } = source;
    if (this.#lexers.length === 0) this.#end = { file, line: 1, col: 1 };
    if (!this.#files.includes(file)) this.#files.push(file);
    const lexer = new Lexer(text, {
      file,
      macros: this.#macros,
      diagnostics: this.#diagnostics.list,
    });
    this.#chains.set(lexer, [...chain, id]);
    this.#lexers.push(lexer);
  }

  /**
   * Reads an included file in place: its tokens come next, before the rest of the includer's.
   * Call it once the `include` statement's newline has been peeked at and nothing beyond it.
   */
  pushInclude(source: SourceFile): void {
    // Peeking at the statement's end may have read the includer's end of file (an include on
    // its last line): drop it, the includer's lexer gives it again once the included file is
    // done.
    if (this.#buffer.length > 0 && this.#buffer[this.#buffer.length - 1].kind === "eof") {
      this.#buffer.pop();
    }
    this.pushFile(source);
  }

  /**
   * The identity of the file being read and of those including it, outermost first. Take it
   * before peeking past a statement's end, which may close the file.
   */
  chain(): string[] {
    return this.#chains.get(this.#lexers[this.#lexers.length - 1]) ?? [];
  }

  /** Where the top-level file ends (known once its end of file has been read). */
  get end(): Position {
    return this.#end;
  }

  /** The token `k` places ahead (0: the next one), without consuming it. */
  peek(k = 0): Token {
    while (this.#buffer.length <= k) this.#buffer.push(this.#pull());
    return this.#buffer[k];
  }

  /** Consumes and returns the next token. */
  next(): Token {
    const t = this.peek();
    this.#buffer.shift();
    this.#last = t;
    return t;
  }

  #pull(): Token {
    const lexer = this.#lexers[this.#lexers.length - 1];
    const t = lexer.next();
    if (t.kind !== "eof") return t;
    if (this.#lexers.length === 1) {
      this.#end = t.position;
      return t;
    }
    // End of an included file: a newline ends its last statement, then back to the includer.
    // It is marked, so that a block left open cannot go on in the includer.
    this.#lexers.pop();
    return { kind: "newline", value: "\n", position: t.position, endOfFile: true };
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

  /**
   * Every diagnostic so far, sorted by file (in the order files were opened), line and column;
   * messages at one place keep the order they were reported in.
   */
  sortedDiagnostics(): ConfigDiagnostic[] {
    return this.#diagnostics.sorted((file) => {
      const i = this.#files.indexOf(file);
      return i < 0 ? this.#files.length : i;
    });
  }

  // --- statements and recovery ---

  /**
   * Consumes the value after keyword `after` when the next token is one; otherwise reports
   * `expected WHAT after "AFTER", found ...`, consumes nothing and returns `undefined`.
   */
  expectValue(what: string, after: string): Token | undefined {
    const t = this.peek();
    if (isValue(t)) return this.next();
    this.error(t, `expected ${what} after "${after}", found ${describe(t)}`);
    return undefined;
  }

  /**
   * Skips the rest of a statement: up to the newline, or inside a block also up to the `}`. At
   * top level a `{ ... }` on the way is skipped whole, so a mistyped `interface` costs one error.
   */
  skipStatement(inBlock: boolean): void {
    let depth = 0;
    for (;;) {
      const t = this.peek();
      if (t.kind === "eof") return;
      if (depth === 0 && t.kind === "newline") return;
      if (depth === 0 && inBlock && t.kind === "rbrace") return;
      if (!inBlock && t.kind === "lbrace") depth++;
      if (!inBlock && t.kind === "rbrace" && depth > 0) depth--;
      this.next();
    }
  }

  /**
   * Requires the end of a statement (a newline, the end of the file, or inside a block a `}`),
   * leaving it to be read; on anything else reports it and skips the rest.
   */
  endStatement(inBlock: boolean): void {
    const t = this.peek();
    if (t.kind === "newline" || t.kind === "eof" || (inBlock && t.kind === "rbrace")) return;
    const after = this.#last === undefined ? "" : ` after ${describe(this.#last)}`;
    this.error(t, `expected end of line${after}, found ${describe(t)}`);
    this.skipStatement(inBlock);
  }
}
