/**
 * What the parsers of the kernel's multicast tables in `/proc/net` share
 * (`proc_net_mroute.ts`, `proc_net_membership.ts`): the three ways those files print an
 * address, and a reader of a file's lines that stops at the first bad one and says why, instead
 * of throwing. Pure.
 *
 * The addresses, as Linux prints them:
 * - `%08X` of a `__be32` (`ip_mr_vif`, `ip_mr_cache`, `igmp`): the address's four bytes read
 *   as an integer in the machine's byte order, so `010101EF` is 239.1.1.1 on a little-endian
 *   machine and `EF010101` on a big-endian one ({@link parseHostOrderIPv4});
 * - `0x%08x` after `ntohl` (`mcfilter`): `0xef010101` on any machine ({@link parseNtohlIPv4});
 * - `%pi6`, 32 hex digits (`igmp6`, `mcfilter6`, `if_inet6`) ({@link parsePackedIPv6}), and
 *   `%pI6`, eight groups of four digits (`ip6_mr_cache`) ({@link parsePaddedIPv6}).
 *
 * @example
 * ```ts
 * parseHostOrderIPv4("010101EF", true); // "239.1.1.1"
 * parseLines("1 a\n2 b\nx c\n", {}, (f) => ({ n: f.decimal(0, "number"), name: f.text(1) }));
 * // { ok: false, reason: 'bad number "x" on line 3: "x c"' }
 * ```
 *
 * @module
 */

import { formatIPv4, formatIPv6 } from "../proto/addr.ts";
import type { Result } from "../proto/result.ts";

/** A file's rows, or why they could not be read: what is wrong with its first bad line. */
export type ProcNetResult<T> = Result<T[], string>;

/** How to read the `%08X` addresses. */
export interface ProcParseOptions {
  /**
   * The byte order of the machine that printed the text; this machine's by default. The
   * addresses of `ip_mr_vif`, `ip_mr_cache` and `igmp` are network-order words printed as
   * host integers.
   */
  littleEndian?: boolean;
}

/** Whether this machine is little-endian (the byte order of the `%08X` addresses). */
export function hostIsLittleEndian(): boolean {
  return new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
}

/**
 * A `__be32` printed with `%08X` by a machine of this byte order, as a dotted quad; undefined
 * unless it is eight hex digits.
 *
 * @example
 * ```ts
 * parseHostOrderIPv4("010101EF", true); // "239.1.1.1"
 * parseHostOrderIPv4("EF010101", false); // "239.1.1.1"
 * ```
 */
export function parseHostOrderIPv4(hex: string, littleEndian: boolean): string | undefined {
  if (!/^[0-9A-Fa-f]{8}$/.test(hex)) return undefined;
  // The word as the machine held it, in memory: the address's bytes in network order.
  const view = new DataView(new ArrayBuffer(4));
  view.setUint32(0, parseInt(hex, 16), littleEndian);
  return formatIPv4(view.getUint32(0, false));
}

/**
 * `0xef020202` (`mcfilter`: in network order already) as a dotted quad; undefined unless it is
 * `0x` and eight hex digits.
 */
export function parseNtohlIPv4(field: string): string | undefined {
  return /^0x[0-9A-Fa-f]{8}$/.test(field) ? formatIPv4(parseInt(field, 16)) : undefined;
}

/**
 * `ff050000000000000000000000000001` (`%pi6`: network order, no colons) in RFC 5952 form;
 * undefined unless it is 32 hex digits.
 *
 * @example
 * ```ts
 * parsePackedIPv6("ff0200000000000000000001FFE6BF3B"); // "ff02::1:ffe6:bf3b"
 * ```
 */
export function parsePackedIPv6(hex: string): string | undefined {
  if (!/^[0-9A-Fa-f]{32}$/.test(hex)) return undefined;
  return formatIPv6(Uint8Array.from(hex.match(/../g)!, (byte) => parseInt(byte, 16)));
}

/**
 * `ff05:0000:0000:0000:0000:0000:0000:0001` (`%pI6`: every group with its leading zeros) in
 * RFC 5952 form; undefined for any other form, a compressed one included.
 */
export function parsePaddedIPv6(field: string): string | undefined {
  if (!/^[0-9A-Fa-f]{4}(:[0-9A-Fa-f]{4}){7}$/.test(field)) return undefined;
  return parsePackedIPv6(field.replaceAll(":", ""));
}

/**
 * The whitespace-separated fields of one line. Each reader returns a field's value; the first
 * field that does not read is the line's {@link LineFields.problem}, and a placeholder (0, "")
 * is returned for it, so that a row can be built in one expression and then dropped.
 */
export class LineFields {
  /** The line as the file has it. */
  readonly line: string;
  /** Its fields. */
  readonly fields: readonly string[];
  #problem: string | undefined;

  /** The fields of `line`. */
  constructor(line: string) {
    this.line = line;
    this.fields = line.trim().split(/\s+/);
  }

  /** What is wrong with the line: the first problem noted; undefined when none is. */
  get problem(): string | undefined {
    return this.#problem;
  }

  /** Notes a problem of the line; only the first one is kept. */
  fail(problem: string): void {
    this.#problem ??= problem;
  }

  /** Whether the line has `n` fields (at least `n` with `orMore`); notes it when not. */
  count(n: number, orMore = false): boolean {
    const length = this.fields.length;
    if (orMore ? length >= n : length === n) return true;
    this.fail(`${length} ${length === 1 ? "field" : "fields"} where ${n} were expected`);
    return false;
  }

  /** Field `i` as it is. */
  text(i: number): string {
    return this.fields[i] ?? "";
  }

  /** Field `i`, unsigned decimal (`what` names it in the problem). */
  decimal(i: number, what: string): number {
    return this.#read(i, what, (f) => /^\d+$/.test(f) ? Number(f) : undefined, 0);
  }

  /** Field `i`, decimal with an optional minus sign. */
  integer(i: number, what: string): number {
    return this.#read(i, what, (f) => /^-?\d+$/.test(f) ? Number(f) : undefined, 0);
  }

  /** Field `i`, hexadecimal digits. */
  hex(i: number, what: string): number {
    return this.#read(i, what, (f) => /^[0-9A-Fa-f]+$/.test(f) ? parseInt(f, 16) : undefined, 0);
  }

  /** Field `i`, an address read with `parse` (one of this module's). */
  address(i: number, what: string, parse: (field: string) => string | undefined): string {
    return this.#read(i, what, parse, "");
  }

  #read<T>(i: number, what: string, parse: (field: string) => T | undefined, none: T): T {
    const field = this.fields[i];
    const value = field === undefined ? undefined : parse(field);
    if (value !== undefined) return value;
    this.fail(field === undefined ? `no ${what}` : `bad ${what} ${JSON.stringify(field)}`);
    return none;
  }
}

/**
 * Each non-blank line of a file made into a row by `make`: null leaves the line out, a problem
 * noted on its fields makes the file's reason, with the line's number and text. `header`: the
 * first line starts with it, and is skipped, when the file has one.
 */
export function parseLines<T>(
  text: string,
  opts: { header?: string },
  make: (fields: LineFields) => T | null,
): ProcNetResult<T> {
  const rows: T[] = [];
  let first = true;
  for (const [i, line] of text.split("\n").entries()) {
    if (line.trim() === "") continue;
    const isHeader = first && opts.header !== undefined && line.trimStart().startsWith(opts.header);
    first = false;
    if (isHeader) continue;
    const fields = new LineFields(line);
    const row = make(fields);
    if (fields.problem !== undefined) {
      return { ok: false, reason: `${fields.problem} on line ${i + 1}: ${JSON.stringify(line)}` };
    }
    if (row !== null) rows.push(row);
  }
  return { ok: true, value: rows };
}
