/**
 * Captured `/proc/net` multicast routing tables for the parsers' tests and their users'.
 *
 * @module
 */

/**
 * `/proc/net/ip6_mr_vif`, captured on Linux 6.18 x86_64: MIF 0 on eth0, MIF 1 on lo (both
 * threshold 1), after 10 datagrams of 148 bytes came in on MIF 0.
 */
export const MIF6_TEXT = "Interface      BytesIn  PktsIn  BytesOut PktsOut Flags\n" +
  " 0 eth0           1480      10         0       0 00000\n" +
  " 1 lo                0       0         0       0 00000\n";

/**
 * `/proc/net/ip6_mr_cache` of the same capture: (2001:db8:1::12, ff05::1) from MIF 0 to MIF 1
 * after 10 datagrams of 148 bytes (100 bytes of payload), and 10 datagrams to ff05::2 without
 * an entry (unresolved).
 */
export const CACHE6_TEXT = "Group                            Origin                           " +
  "Iif      Pkts  Bytes     Wrong  Oifs\n" +
  "ff05:0000:0000:0000:0000:0000:0000:0001 2001:0db8:0001:0000:0000:0000:0000:0012 0         " +
  "10     1480        0  1:1  \n" +
  "ff05:0000:0000:0000:0000:0000:0000:0002 2001:0db8:0001:0000:0000:0000:0000:0012 -1         " +
  "0        0        0\n";
