/**
 * `interface NAME { ... }`: an interface block and the statements inside it. Several blocks of
 * one interface are merged in file order into one {@link ParsedInterface}.
 *
 * @module
 */

import type { Boundary, Role } from "./config.ts";
import type { Token } from "./lexer.ts";
import { INTERFACE_KEYWORDS } from "./keywords.ts";
import {
  interfaceLevel,
  type Level,
  newParsedInterface,
  noteSeen,
  parseCommonSetting,
  type ParsedInterface,
  type ParseState,
} from "./parse_state.ts";
import { unknownKeywordMessage } from "./suggest.ts";
import { describe, isValue, type TokenStream, where } from "./token_stream.ts";
import {
  checkInterfaceName,
  checkMulticastRange,
  isScopeName,
  parseInteger,
  parsePrefix,
  samePrefix,
  THRESHOLD_MAX,
  THRESHOLD_MIN,
} from "./values.ts";

/** One statement of a block, its keyword read. */
interface Statement {
  /** The interface the block configures. */
  parsed: ParsedInterface;
  /** The interface's level, for "set twice" warnings and messages. */
  level: Level;
  /** The statement's keyword. */
  kw: Token;
}

/**
 * Parses an interface block after its `interface` keyword `kw`, through its `}` and the end of
 * its line. A block without a usable name is parsed for its errors and then dropped.
 */
export function parseInterface(state: ParseState, kw: Token): void {
  const { tokens } = state;
  const nameTok = tokens.peek();
  let name: string | undefined;
  if (isValue(nameTok)) {
    tokens.next();
    const problem = checkInterfaceName(nameTok.value);
    if (problem === undefined) name = nameTok.value;
    else tokens.error(nameTok, problem);
  } else {
    tokens.error(
      nameTok,
      `expected an interface name after "interface", found ${describe(nameTok)}`,
    );
    // `interface {`: the block is still read, for the errors inside it.
    if (nameTok.kind !== "lbrace") return tokens.skipStatement(false);
  }
  if (!openBlock(tokens, name)) return tokens.skipStatement(false);
  let parsed = name === undefined
    ? undefined
    : state.interfaces.find((p) => p.config.name === name);
  if (parsed !== undefined) {
    tokens.warn(
      kw.position,
      `interface "${name}" is configured again (first at ${
        where(parsed.config.position)
      }): the blocks are merged`,
    );
  } else {
    parsed = newParsedInterface(name ?? "", kw.position);
    if (name !== undefined) state.interfaces.push(parsed);
  }
  const closed = parseInterfaceBody(tokens, { parsed, kw });
  if (closed) tokens.endStatement(false);
}

/**
 * Consumes the `{` that opens the block of interface `name`, which may stand on a later line
 * (but not past the end of an included file). Reports and returns `false` when it is missing.
 */
function openBlock(tokens: TokenStream, name: string | undefined): boolean {
  let k = 0;
  while (tokens.peek(k).kind === "newline" && !tokens.peek(k).endOfFile) k++;
  if (tokens.peek(k).kind !== "lbrace") {
    const t = tokens.peek();
    const label = name === undefined ? "" : ` "${name}"`;
    tokens.error(t, `expected "{" after interface${label}, found ${describe(t)}`);
    return false;
  }
  for (let i = 0; i <= k; i++) tokens.next();
  return true;
}

/**
 * Parses statements up to and including the `}`; returns whether the `}` was there. A block
 * cannot run past the end of an included file, and a second `interface` inside a block is
 * taken as a forgotten `}`.
 */
function parseInterfaceBody(
  tokens: TokenStream,
  block: { parsed: ParsedInterface; kw: Token },
): boolean {
  const label = `interface "${block.parsed.config.name}" (at ${where(block.kw.position)})`;
  for (;;) {
    const t = tokens.peek();
    switch (t.kind) {
      case "newline":
        if (t.endOfFile) {
          tokens.error(t, `expected "}" to close ${label}, found the end of "${t.position.file}"`);
          return false;
        }
        tokens.next();
        continue;
      case "rbrace":
        tokens.next();
        return true;
      case "eof":
        tokens.error(t, `expected "}" to close ${label}, found end of file`);
        return false;
      case "word":
        if (t.value === "interface") {
          // Most likely a forgotten "}": end this block and parse the next one.
          tokens.error(t, `expected "}" to close ${label} before the next "interface"`);
          return false;
        }
        if (tokens.peek(1).kind === "equals") {
          tokens.error(t, "macros can only be defined at top level");
          tokens.skipStatement(true);
          continue;
        }
        parseInterfaceStatement(tokens, block.parsed);
        continue;
      default:
        tokens.error(t, `expected a keyword, found ${describe(t)}`);
        tokens.next();
        tokens.skipStatement(true);
    }
  }
}

/** Parses one statement of a block (a documented dispatch on its keyword). */
function parseInterfaceStatement(tokens: TokenStream, parsed: ParsedInterface): void {
  const kw = tokens.next();
  const level = interfaceLevel(parsed);
  if (parseCommonSetting(tokens, { level, kw })) return;
  const statement: Statement = { parsed, level, kw };
  let ok = false;
  switch (kw.value) {
    case "threshold":
      ok = parseThreshold(tokens, statement);
      break;
    case "source":
      ok = parseSource(tokens, statement);
      break;
    case "boundary":
      ok = parseBoundary(tokens, parsed);
      break;
    case "upstream":
    case "downstream":
    case "disabled":
      ok = parseRole(tokens, statement);
      break;
    case "include":
    case "name":
    case "ssm-range":
      tokens.error(kw, `"${kw.value}" is only valid at top level`);
      break;
    default:
      tokens.error(kw, unknownKeywordMessage(kw.value, INTERFACE_KEYWORDS));
  }
  if (ok) tokens.endStatement(true);
  else tokens.skipStatement(true);
}

/** `threshold TTL`; returns whether it was usable. */
function parseThreshold(tokens: TokenStream, s: Statement): boolean {
  const t = tokens.expectValue("a number", s.kw.value);
  const range = { keyword: s.kw.value, min: THRESHOLD_MIN, max: THRESHOLD_MAX };
  const ttl = t === undefined ? undefined : tokens.take(t, parseInteger(t.value, range));
  if (ttl === undefined) return false;
  noteSeen(tokens, s);
  s.parsed.config.threshold = ttl;
  return true;
}

/** `source ADDRESS/PREFIX`; a repeated source is a warning. Returns whether it was usable. */
function parseSource(tokens: TokenStream, s: Statement): boolean {
  const t = tokens.expectValue("ADDRESS/PREFIX", "source");
  const prefix = t === undefined ? undefined : tokens.take(t, parsePrefix(t.value, "source"));
  if (prefix === undefined) return false;
  const sources = s.parsed.config.sources;
  if (sources.some((p) => samePrefix(p, prefix))) {
    tokens.warn(
      s.kw.position,
      `source "${prefix.address}/${prefix.length}" is listed twice${s.level.scope}`,
    );
  } else {
    sources.push(prefix);
  }
  return true;
}

/**
 * `boundary NAME|PREFIX`; returns whether it was usable. A name is resolved once the whole
 * file is read (a scope may be defined after its use); until then its prefix is a placeholder.
 */
function parseBoundary(tokens: TokenStream, parsed: ParsedInterface): boolean {
  const t = tokens.expectValue("a scope name or PREFIX", "boundary");
  if (t === undefined) return false;
  if (isScopeName(t.value)) {
    const boundary: Boundary = { name: t.value, prefix: { family: 4, address: "", length: 0 } };
    parsed.config.boundaries.push(boundary);
    parsed.namedBoundaries.push({ boundary, token: t });
    parsed.boundaryAt.set(boundary, t.position);
    return true;
  }
  const prefix = tokens.take(t, parsePrefix(t.value, "boundary"));
  if (prefix === undefined) return false;
  const problem = checkMulticastRange(prefix, t.value);
  if (problem !== undefined) {
    tokens.error(t, problem);
    return false;
  }
  const boundary: Boundary = { prefix };
  parsed.config.boundaries.push(boundary);
  parsed.boundaryAt.set(boundary, t.position);
  return true;
}

/**
 * `upstream`, `downstream` or `disabled`. The same role again (in any block of the interface)
 * is a warning, another role an error. Returns whether it was usable.
 */
function parseRole(tokens: TokenStream, s: Statement): boolean {
  const { parsed, kw } = s;
  const iface = parsed.config;
  if (parsed.roleAt !== undefined) {
    if (iface.role !== kw.value) {
      tokens.error(
        kw,
        `interface "${iface.name}" cannot be ${kw.value}: it is already ${iface.role} ` +
          `(at ${where(parsed.roleAt)})`,
      );
      return false;
    }
    tokens.warn(
      kw.position,
      `interface "${iface.name}" is made ${kw.value} twice (first at ${where(parsed.roleAt)})`,
    );
  }
  iface.role = kw.value as Role;
  parsed.roleAt = kw.position;
  return true;
}
