/**
 * The parser of mcast-proxy.conf(5): statements, macros, includes and scopes at top level; the
 * interface blocks are read by interface_block.ts and the checks that need the whole file (one
 * upstream, consistent timers, known scope names) are run by validate.ts.
 *
 * ```
 * file      = { [ statement ] NEWLINE }
 * statement = NAME "=" value { value }                 macro definition (top level only)
 *           | "include" STRING                         another file, read in place
 *           | ("ipv4" | "ipv6") ("yes" | "no")
 *           | "user" NAME                              the unprivileged user to run as
 *           | "chroot" PATH                            the jail (absolute)
 *           | timer | version
 *           | "name" NAME PREFIX                       an administrative scope (multicast range)
 *           | "ssm-range" PREFIX                       IPv4 or IPv6 multicast, repeatable
 *           | "interface" NAME { NEWLINE } "{" { [ ifstmt ] (NEWLINE | before "}") } "}"
 * ifstmt    = ("ipv4" | "ipv6") ("yes" | "no")
 *           | "threshold" NUMBER                       1-255
 *           | "source" ADDRESS "/" PREFIX              IPv4 or IPv6, repeatable
 *           | "boundary" (NAME | PREFIX)               repeatable
 *           | timer | version
 *           | "upstream" | "downstream" | "disabled"
 * timer     = ("robustness" | "last-member-query-count" | "startup-query-count") NUMBER
 *           | ("query-interval" | "query-response-interval" | "last-member-query-interval"
 *              | "startup-query-interval") SECONDS     one decimal at most
 * version   = "igmp-version" ("1" | "2" | "3")         the version LANs are queried with
 *           | "mld-version" ("1" | "2")
 * ```
 *
 * An interface may have several blocks: they are merged in file order, and giving it two roles
 * is an error.
 *
 * Every error is reported with the position of the offending token, and parsing goes on at the
 * next newline (or `}` inside a block), so one run reports them all. Diagnostics come back sorted
 * by position. Any error makes the result's `config` undefined; warnings do not.
 *
 * The parser reads tokens from a stack of lexers, each with its own file name (token_stream.ts),
 * so an `include` statement can push the included file and pop back at its end. Values are read
 * by the pure functions of values.ts, which return messages the parser places at the value.
 *
 * @module
 */

import type { Config, ConfigDiagnostic } from "./config.ts";
import { checkMacroName, MacroTable, type Token } from "./lexer.ts";
import { parseInterface } from "./interface_block.ts";
import { INTERFACE_KEYWORDS, TOP_KEYWORDS } from "./keywords.ts";
import {
  newParseState,
  noteSeen,
  parseCommonSetting,
  type ParseState,
  topLevel,
} from "./parse_state.ts";
import { unknownKeywordMessage } from "./suggest.ts";
import { describe, isValue, TokenStream, where } from "./token_stream.ts";
import { validateConfig } from "./validate.ts";
import {
  checkChrootDirectory,
  checkMulticastRange,
  checkScopeName,
  checkUserName,
  parsePrefix,
  samePrefix,
} from "./values.ts";

export { editDistance } from "./suggest.ts";
export { IFNAMSIZ, THRESHOLD_MAX, THRESHOLD_MIN } from "./values.ts";

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

/** A parse at top level: its state, the macros it defines and how it reads includes. */
interface Parse extends ParseState {
  /** Shared with the lexers, which expand what the file defines from the next line on. */
  readonly macros: MacroTable;
  /** The include reader of {@link ParseOptions.include}. */
  readonly include: ((path: string) => IncludedFile) | undefined;
}

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
  const macros = new MacroTable(options.macros ?? {});
  const tokens = new TokenStream(macros);
  tokens.pushFile({ text, file: options.file, id: options.fileId ?? options.file });
  const p: Parse = { ...newParseState(tokens), macros, include: options.include };
  parseTop(p);
  validateConfig(p);
  const diagnostics = tokens.sortedDiagnostics();
  const failed = diagnostics.some((d) => d.severity === "error");
  p.config.interfaces = p.interfaces.map((parsed) => parsed.config);
  return { config: failed ? undefined : p.config, diagnostics };
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

/** Parses statements up to the end of the top-level file (included files on the way). */
function parseTop(p: Parse): void {
  const { tokens } = p;
  for (;;) {
    const t = tokens.peek();
    switch (t.kind) {
      case "eof":
        return;
      case "newline":
        tokens.next();
        continue;
      case "word":
        // `NAME =` defines a macro, whatever NAME is (a keyword is refused by name).
        if (tokens.peek(1).kind === "equals") parseMacroDefinition(p);
        else parseTopStatement(p);
        continue;
      case "rbrace":
        tokens.error(t, 'unexpected "}" outside an interface block');
        tokens.next();
        continue;
      default:
        tokens.error(t, `expected a keyword, found ${describe(t)}`);
        tokens.skipStatement(false);
    }
  }
}

/** `NAME = value...`: the values are joined with one space; it applies from the next line. */
function parseMacroDefinition(p: Parse): void {
  const { tokens } = p;
  const name = tokens.next();
  tokens.next(); // "="
  const values: Token[] = [];
  while (isValue(tokens.peek())) values.push(tokens.next());
  if (values.length === 0) {
    const t = tokens.peek();
    tokens.error(t, `expected a value for macro "${name.value}", found ${describe(t)}`);
    tokens.skipStatement(false);
    return;
  }
  const problem = checkMacroName(name.value);
  if (problem !== undefined) tokens.error(name, problem);
  else p.macros.define(name.value, values.map((v) => v.value).join(" "));
  tokens.endStatement(false);
}

/** One top-level statement after its keyword (a documented dispatch on the keyword). */
function parseTopStatement(p: Parse): void {
  const { tokens } = p;
  const kw = tokens.next();
  const level = topLevel(p);
  if (parseCommonSetting(tokens, { level, kw })) return;
  switch (kw.value) {
    case "user":
    case "chroot": {
      const value = parseUserOrChroot(tokens, kw);
      if (value === undefined) return tokens.skipStatement(false);
      noteSeen(tokens, { level, kw });
      p.config[kw.value as "user" | "chroot"] = value;
      return tokens.endStatement(false);
    }
    case "interface":
      return parseInterface(p, kw);
    case "include":
      return parseInclude(p, kw);
    case "name":
      return parseScope(p, kw);
    case "ssm-range":
      return parseSsmRange(p);
    default:
      if (INTERFACE_KEYWORDS.includes(kw.value)) {
        tokens.error(kw, `"${kw.value}" is only valid inside an interface block`);
      } else {
        tokens.error(kw, unknownKeywordMessage(kw.value, TOP_KEYWORDS));
      }
      return tokens.skipStatement(false);
  }
}

/**
 * Reads the user name after `user` or the absolute directory after `chroot`; reports and
 * returns `undefined` on anything else.
 */
function parseUserOrChroot(tokens: TokenStream, kw: Token): string | undefined {
  const isUser = kw.value === "user";
  const t = tokens.expectValue(isUser ? "a user name" : "a directory", kw.value);
  if (t === undefined) return undefined;
  const problem = isUser ? checkUserName(t.value) : checkChrootDirectory(t.value);
  if (problem === undefined) return t.value;
  tokens.error(t, problem);
  return undefined;
}

/**
 * `include FILE`: the file's statements are read in place, as if they stood on the lines after
 * this one. A loop (by path, or by the identity the reader gives) and nesting deeper than
 * {@link MAX_INCLUDE_DEPTH} are errors; so is a file the reader refuses.
 */
function parseInclude(p: Parse, kw: Token): void {
  const { tokens } = p;
  const t = tokens.expectValue("a file name", "include");
  if (t === undefined) return tokens.skipStatement(false);
  // The chain of includes that led here, taken before looking past the statement may close
  // the current file (an include on the last line of an included file).
  const open = tokens.chain();
  tokens.endStatement(false);
  const path = resolveIncludePath(t.value, t.position.file);
  if (open.includes(path)) {
    return tokens.error(t, `cannot include "${t.value}": "${path}" is already being read (a loop)`);
  }
  if (open.length > MAX_INCLUDE_DEPTH) {
    return tokens.error(
      t,
      `cannot include "${t.value}": includes nest more than ${MAX_INCLUDE_DEPTH} deep`,
    );
  }
  if (p.include === undefined) return tokens.error(kw, '"include" cannot be used here');
  const read = p.include(path);
  if ("error" in read) return tokens.error(t, `cannot include "${path}": ${read.error}`);
  // Another spelling of a file already open (a symbolic link, "./") is a loop too.
  if (read.id !== undefined && read.id !== path && open.includes(read.id)) {
    return tokens.error(
      t,
      `cannot include "${t.value}": it is "${read.id}", which is already being read (a loop)`,
    );
  }
  tokens.pushInclude({ text: read.text, file: path, id: read.id ?? path, chain: open });
}

/**
 * `name NAME PREFIX`: an administrative scope. Every problem of the statement is reported
 * before it is dropped; a scope is defined once.
 */
function parseScope(p: Parse, kw: Token): void {
  const { tokens } = p;
  const nameTok = tokens.expectValue("a scope name", "name");
  if (nameTok === undefined) return tokens.skipStatement(false);
  const name = nameTok.value;
  let ok = true;
  const badName = checkScopeName(name);
  if (badName !== undefined) {
    tokens.error(nameTok, badName);
    ok = false;
  }
  const t = tokens.expectValue("a multicast PREFIX", `name ${name}`);
  if (t === undefined) return tokens.skipStatement(false);
  const prefix = tokens.take(t, parsePrefix(t.value, `scope "${name}"`));
  if (prefix === undefined) return tokens.skipStatement(false);
  const notMulticast = checkMulticastRange(prefix, t.value);
  if (notMulticast !== undefined) {
    tokens.error(t, notMulticast);
    ok = false;
  }
  const first = p.config.scopes.find((s) => s.name === name);
  if (first !== undefined) {
    tokens.error(nameTok, `scope "${name}" is defined twice (first at ${where(first.position)})`);
    ok = false;
  }
  if (ok) p.config.scopes.push({ name, prefix, position: kw.position });
  tokens.endStatement(false);
}

/**
 * `ssm-range PREFIX`: a source-specific multicast range, IPv4 or IPv6. It must be a multicast
 * range; one listed twice is a warning.
 */
function parseSsmRange(p: Parse): void {
  const { tokens } = p;
  const t = tokens.expectValue("a multicast PREFIX", "ssm-range");
  const prefix = t === undefined ? undefined : tokens.take(t, parsePrefix(t.value, "ssm-range"));
  if (t === undefined || prefix === undefined) return tokens.skipStatement(false);
  const notMulticast = checkMulticastRange(prefix, t.value);
  if (notMulticast !== undefined) {
    tokens.error(t, `ssm-range ${notMulticast}`);
    return tokens.skipStatement(false);
  }
  if (p.config.ssmRanges.some((r) => samePrefix(r, prefix))) {
    tokens.warn(t.position, `ssm-range "${prefix.address}/${prefix.length}" is listed twice`);
  } else {
    p.config.ssmRanges.push(prefix);
  }
  tokens.endStatement(false);
}
