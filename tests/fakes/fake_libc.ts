/**
 * A fake C library for unit tests of `ffi/`: every symbol of `LIBC_SYMBOLS` records its calls
 * (buffers copied as they were at the call) and returns what a test set, or success: 0 (0n for
 * 64-bit results), `null` for pointers. Nothing here needs `--allow-ffi`, so the code under test
 * must not touch pointers; errno reads as 0 (`__errno_location` gives `null`).
 *
 * @module
 */

import { type Libc, LIBC_SYMBOLS } from "../../ffi/libc.ts";

/** A symbol of the table. */
export type SymbolName = keyof typeof LIBC_SYMBOLS;

/** One recorded call: the symbol and its arguments, buffers copied. */
export interface LibcCall {
  /** The symbol. */
  name: SymbolName;
  /** Its arguments; a `buffer` argument is a copy of the bytes at the call. */
  args: unknown[];
}

/** What a symbol does in place of the C library: gets the live arguments, returns its result. */
export type FakeSymbol = (...args: never[]) => unknown;

/** The fake; {@link libc} is what the code under test takes. */
export class FakeLibc {
  /** Every call in order. */
  readonly calls: LibcCall[] = [];
  /** Symbols that do something, by name; the others succeed. */
  readonly impl = new Map<SymbolName, FakeSymbol>();
  /** The library to hand to the code under test. */
  readonly libc: Libc;

  /** Builds a fake where every call succeeds. */
  constructor() {
    const symbols: Record<string, (...args: unknown[]) => unknown> = {};
    for (const name of Object.keys(LIBC_SYMBOLS) as SymbolName[]) {
      symbols[name] = (...args: unknown[]) => this.#call(name, args);
    }
    this.libc = { symbols, close() {} } as unknown as Libc;
  }

  /** The calls of one symbol, in order. */
  callsOf(name: SymbolName): unknown[][] {
    return this.calls.filter((c) => c.name === name).map((c) => c.args);
  }

  /** Makes `name` return `result` (or run it, when it is a function). */
  on(name: SymbolName, result: FakeSymbol | number | bigint): this {
    this.impl.set(name, typeof result === "function" ? result : () => result);
    return this;
  }

  #call(name: SymbolName, args: unknown[]): unknown {
    this.calls.push({
      name,
      args: args.map((a) => a instanceof Uint8Array ? a.slice() : a),
    });
    const impl = this.impl.get(name) as ((...a: unknown[]) => unknown) | undefined;
    if (impl !== undefined) return impl(...args);
    const def = LIBC_SYMBOLS[name] as Deno.ForeignFunction;
    const result = def.result === "pointer"
      ? null
      : def.result === "void"
      ? undefined
      : ["isize", "usize", "i64", "u64"].includes(String(def.result))
      ? 0n
      : 0;
    return def.nonblocking === true ? Promise.resolve(result) : result;
  }
}
