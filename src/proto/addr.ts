/**
 * IPv4 and IPv6 address helpers: strict text parsing, canonical formatting and prefix tests.
 *
 * IPv4 addresses are unsigned 32-bit numbers in host order (`0x0a000001` is `10.0.0.1`); IPv6
 * addresses are 16-byte arrays in network order. Every function here is pure.
 *
 * @module
 */

const DOTTED_QUAD = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/;
const HEX_GROUP = /^[0-9A-Fa-f]{1,4}$/;

/**
 * Parses a strict dotted-quad IPv4 address: four decimal octets 0-255, no leading zeros, no
 * shorthand forms such as `10.1`.
 *
 * @example
 * ```ts
 * parseIPv4("10.0.0.1"); // 0x0a000001
 * parseIPv4("10.0.0.01"); // undefined
 * ```
 *
 * @returns the address as an unsigned 32-bit number, or `undefined` when `s` is not valid.
 */
export function parseIPv4(s: string): number | undefined {
  const m = DOTTED_QUAD.exec(s);
  if (m === null) return undefined;
  let n = 0;
  for (let i = 1; i <= 4; i++) {
    const part = m[i];
    if (part.length > 1 && part[0] === "0") return undefined;
    const octet = Number(part);
    if (octet > 255) return undefined;
    n = n * 256 + octet;
  }
  return n;
}

/**
 * Formats an unsigned 32-bit IPv4 address as a dotted quad.
 *
 * @example
 * ```ts
 * formatIPv4(0xe0000001); // "224.0.0.1"
 * ```
 */
export function formatIPv4(n: number): string {
  const u = n >>> 0;
  return `${u >>> 24}.${(u >>> 16) & 0xff}.${(u >>> 8) & 0xff}.${u & 0xff}`;
}

/** The netmask of an IPv4 prefix length (0-32) as an unsigned 32-bit number. */
export function ipv4Mask(length: number): number {
  if (length <= 0) return 0;
  if (length >= 32) return 0xffffffff;
  return (0xffffffff << (32 - length)) >>> 0;
}

/**
 * The prefix length of a contiguous IPv4 netmask (leading ones, then zeros), or `undefined` for
 * a mask with a hole such as 255.0.255.0.
 *
 * @example
 * ```ts
 * ipv4MaskLength(0xffffff00); // 24
 * ipv4MaskLength(0); // 0
 * ipv4MaskLength(0xff00ff00); // undefined
 * ```
 */
export function ipv4MaskLength(mask: number): number | undefined {
  const host = ~mask >>> 0;
  // The host part of a contiguous mask is 2^n - 1: adding 1 carries through every bit of it.
  if ((host & (host + 1)) !== 0) return undefined;
  return Math.clz32(host);
}

/**
 * Clears the host bits of an IPv4 address.
 *
 * @example
 * ```ts
 * formatIPv4(maskIPv4(parseIPv4("10.1.2.3")!, 8)); // "10.0.0.0"
 * ```
 */
export function maskIPv4(addr: number, length: number): number {
  return (addr & ipv4Mask(length)) >>> 0;
}

/** Whether an IPv4 address is multicast (224.0.0.0/4, RFC 5771). */
export function isIPv4Multicast(n: number): boolean {
  return (n >>> 28) === 0xe;
}

/**
 * Whether `addr` lies in the IPv4 prefix `prefixAddr/len`. Host bits of `prefixAddr` are
 * ignored; a length outside 0-32 contains nothing.
 *
 * @example
 * ```ts
 * prefixContainsIPv4(parseIPv4("10.0.0.0")!, 8, parseIPv4("10.9.9.9")!); // true
 * ```
 */
export function prefixContainsIPv4(prefixAddr: number, len: number, addr: number): boolean {
  if (!Number.isInteger(len) || len < 0 || len > 32) return false;
  return maskIPv4(prefixAddr, len) === maskIPv4(addr, len);
}

/**
 * Parses an IPv6 address in the forms of RFC 4291 section 2.2: eight hex groups, `::`
 * compression of one run of zero groups, and an optional dotted-quad IPv4 tail
 * (`::ffff:192.0.2.1`). Zone identifiers (`%eth0`) are not accepted.
 *
 * @example
 * ```ts
 * parseIPv6("ff02::1"); // Uint8Array [0xff, 0x02, 0, ..., 0, 1]
 * parseIPv6("1::2::3"); // undefined
 * ```
 *
 * @returns 16 bytes in network order, or `undefined` when `s` is not valid.
 */
export function parseIPv6(s: string): Uint8Array | undefined {
  const halves = s.split("::");
  if (halves.length > 2) return undefined;
  const head = parseIPv6Groups(halves[0], halves.length === 1);
  if (head === undefined) return undefined;
  let groups: number[];
  if (halves.length === 1) {
    if (head.length !== 8) return undefined;
    groups = head;
  } else {
    const tail = parseIPv6Groups(halves[1], true);
    if (tail === undefined) return undefined;
    // Only the last part of the address may hold a dotted quad.
    if (head.length + tail.length > 7) return undefined;
    groups = [...head, ...new Array<number>(8 - head.length - tail.length).fill(0), ...tail];
  }
  const out = new Uint8Array(16);
  groups.forEach((g, i) => {
    out[2 * i] = g >> 8;
    out[2 * i + 1] = g & 0xff;
  });
  return out;
}

/**
 * Parses colon-separated hex groups (one side of a `::`); `allowIPv4` permits a dotted-quad
 * last element, which counts as two groups. The empty string is zero groups.
 */
function parseIPv6Groups(s: string, allowIPv4: boolean): number[] | undefined {
  if (s === "") return [];
  const parts = s.split(":");
  const groups: number[] = [];
  for (let i = 0; i < parts.length; i++) {
    const p = parts[i];
    if (HEX_GROUP.test(p)) {
      groups.push(parseInt(p, 16));
    } else if (allowIPv4 && i === parts.length - 1 && p.includes(".")) {
      const v4 = parseIPv4(p);
      if (v4 === undefined) return undefined;
      groups.push(v4 >>> 16, v4 & 0xffff);
    } else {
      return undefined;
    }
  }
  return groups;
}

/**
 * Formats 16 bytes as an IPv6 address in the canonical text form of RFC 5952: lower-case hex
 * without leading zeros, the longest run (the first on a tie) of two or more zero groups
 * compressed to `::`, and IPv4-mapped addresses as `::ffff:a.b.c.d`.
 *
 * @example
 * ```ts
 * formatIPv6(parseIPv6("2001:0DB8:0:0:1:0:0:1")!); // "2001:db8::1:0:0:1"
 * ```
 */
export function formatIPv6(b: Uint8Array): string {
  const groups: number[] = [];
  for (let i = 0; i < 8; i++) groups.push(((b[2 * i] ?? 0) << 8) | (b[2 * i + 1] ?? 0));
  if (groups.slice(0, 5).every((g) => g === 0) && groups[5] === 0xffff) {
    return `::ffff:${formatIPv4(((groups[6] << 16) | groups[7]) >>> 0)}`;
  }
  let bestStart = -1;
  let bestLen = 1; // a single zero group is never compressed
  for (let i = 0; i < 8;) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLen) {
      bestStart = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = (gs: number[]) => gs.map((g) => g.toString(16)).join(":");
  if (bestStart < 0) return hex(groups);
  return `${hex(groups.slice(0, bestStart))}::${hex(groups.slice(bestStart + bestLen))}`;
}

/** Whether an IPv6 address is multicast (ff00::/8, RFC 4291). */
export function isIPv6Multicast(b: Uint8Array): boolean {
  return b[0] === 0xff;
}

/** Whether an IPv6 address is the unspecified address `::` (RFC 4291 section 2.5.2). */
export function isIPv6Unspecified(b: Uint8Array): boolean {
  if (b.length !== 16) return false;
  for (let i = 0; i < 16; i++) if (b[i] !== 0) return false;
  return true;
}

/**
 * Whether an IPv6 address is link-local unicast (fe80::/10, RFC 4291 section 2.5.6): the only
 * source MLD accepts (RFC 2710 section 3, RFC 3810 section 5).
 *
 * @example
 * ```ts
 * isIPv6LinkLocalUnicast(parseIPv6("fe80::1")!); // true
 * isIPv6LinkLocalUnicast(parseIPv6("febf::1")!); // true: still inside fe80::/10
 * isIPv6LinkLocalUnicast(parseIPv6("fec0::1")!); // false: deprecated site-local
 * ```
 */
export function isIPv6LinkLocalUnicast(b: Uint8Array): boolean {
  return b[0] === 0xfe && ((b[1] ?? 0) & 0xc0) === 0x80;
}

/**
 * The scope of an IPv6 multicast address: the low nibble of its second byte, whatever the flags
 * in the high nibble (RFC 4291 section 2.7, RFC 7346): 1 interface-local, 2 link-local,
 * 3 realm-local, 4 admin-local, 5 site-local, 8 organization-local, 0xe global; 0 and 0xf are
 * reserved.
 *
 * @example
 * ```ts
 * ipv6MulticastScope(parseIPv6("ff02::1:ff00:1")!); // 2: link-local (solicited-node)
 * ipv6MulticastScope(parseIPv6("ff3e::8000:1")!); // 0xe: global, flags P and T (SSM)
 * ipv6MulticastScope(parseIPv6("fe80::1")!); // undefined: not multicast
 * ```
 *
 * @returns the scope, 0 to 15, or `undefined` when `b` is not multicast.
 */
export function ipv6MulticastScope(b: Uint8Array): number | undefined {
  return isIPv6Multicast(b) ? (b[1] ?? 0) & 0x0f : undefined;
}

/** Whether two IPv6 addresses are the same 16 bytes. */
export function equalIPv6(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== 16 || b.length !== 16) return false;
  for (let i = 0; i < 16; i++) if (a[i] !== b[i]) return false;
  return true;
}

/**
 * Returns a copy of an IPv6 address with the host bits after `length` (0-128) cleared.
 *
 * @example
 * ```ts
 * formatIPv6(maskIPv6(parseIPv6("2001:db8::1")!, 32)); // "2001:db8::"
 * ```
 */
export function maskIPv6(b: Uint8Array, length: number): Uint8Array {
  const out = new Uint8Array(16);
  for (let i = 0; i < 16; i++) {
    const bits = Math.min(8, Math.max(0, length - 8 * i));
    out[i] = (b[i] ?? 0) & ((0xff00 >> bits) & 0xff);
  }
  return out;
}

/**
 * Whether `addr` lies in the IPv6 prefix `prefixAddr/len`. Host bits of `prefixAddr` are
 * ignored; a length outside 0-128 contains nothing.
 */
export function prefixContainsIPv6(prefixAddr: Uint8Array, len: number, addr: Uint8Array): boolean {
  if (!Number.isInteger(len) || len < 0 || len > 128) return false;
  const a = maskIPv6(prefixAddr, len);
  const b = maskIPv6(addr, len);
  return a.every((x, i) => x === b[i]);
}

/**
 * An IPv6 address as a 128-bit number, so that it can key a Map and compare with `<`.
 *
 * @example
 * ```ts
 * import { ipv6ToBigInt, parseIPv6 } from "./addr.ts";
 *
 * ipv6ToBigInt(parseIPv6("::1")!); // 1n
 * ```
 */
export function ipv6ToBigInt(b: Uint8Array): bigint {
  let n = 0n;
  for (let i = 0; i < 16; i++) n = (n << 8n) | BigInt(b[i] ?? 0);
  return n;
}

/**
 * The 16 bytes of an IPv6 address given as a 128-bit number (the inverse of
 * {@link ipv6ToBigInt}); only the low 128 bits count.
 */
export function bigIntToIPv6(n: bigint): Uint8Array {
  const b = new Uint8Array(16);
  let x = BigInt.asUintN(128, n);
  for (let i = 15; i >= 0; i--) {
    b[i] = Number(x & 0xffn);
    x >>= 8n;
  }
  return b;
}
