/**
 * Prefixes as the core uses them: an interface's subnets, accepted source networks and
 * administrative boundaries. The functions here are the IPv4 ones (addresses as numbers); a
 * protocol family supplies its own (see `family.ts`).
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
