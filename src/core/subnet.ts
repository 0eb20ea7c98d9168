/**
 * Prefixes as the core uses them: an interface's subnets, accepted source networks and
 * administrative boundaries. {@link inAnySubnet} and {@link formatSubnet} are the IPv4 ones
 * (addresses as numbers; a protocol family supplies its own, see `family.ts`); the others serve
 * both families.
 *
 * @module
 */

import { formatIPv4, prefixContainsIPv4 } from "../proto/addr.ts";

/** An address of either family as the core holds it: IPv4 as a number, IPv6 as a bigint. */
export type Address = number | bigint;

/** A prefix: IPv4 (the default) as numbers, or IPv6 with a bigint address. */
export interface Subnet<A extends Address = number> {
  /** Network address. */
  address: A;
  /** Prefix length. */
  prefixLength: number;
}

/**
 * Whether `address` lies in one of `subnets`.
 *
 * @example
 * ```ts
 * inAnySubnet(0xeffe0001, [{ address: 0xeffe0000, prefixLength: 16 }]); // true: 239.254.0.1
 * ```
 */
export function inAnySubnet(address: number, subnets: ReadonlyArray<Subnet>): boolean {
  return subnets.some((s) => prefixContainsIPv4(s.address, s.prefixLength, address));
}

/**
 * Formats a prefix as `address/length`.
 *
 * @example
 * ```ts
 * formatSubnet({ address: 0xefff0000, prefixLength: 16 }); // "239.255.0.0/16"
 * ```
 */
export function formatSubnet(s: Subnet): string {
  return `${formatIPv4(s.address)}/${s.prefixLength}`;
}

/** Orders two addresses of one family numerically (for `Array.prototype.sort`). */
export function compareAddresses<A extends Address>(a: A, b: A): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * The network of a prefix: its address with the host bits cleared, of either family.
 *
 * @example
 * ```ts
 * networkOf({ address: 0x0a010064, prefixLength: 24 }); // { address: 0x0a010000, prefixLength: 24 }
 * ```
 */
export function networkOf<A extends Address>(s: Subnet<A>): Subnet<A> {
  if (typeof s.address === "bigint") {
    const host = (1n << BigInt(128 - s.prefixLength)) - 1n;
    return { address: (s.address & ~host) as A, prefixLength: s.prefixLength };
  }
  const mask = s.prefixLength === 0 ? 0 : (~0 << (32 - s.prefixLength)) >>> 0;
  return { address: (((s.address as number) & mask) >>> 0) as A, prefixLength: s.prefixLength };
}
