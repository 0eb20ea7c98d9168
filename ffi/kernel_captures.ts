/**
 * Bytes for the struct tests: a hex reader with comments, and what a Linux 6.x kernel wrote in
 * a namespace probe (MRT6_INIT, MIFs 0/1/31, a host on mif 0 sending to ff05::2, a host on v1 =
 * ifindex 3 joining ff05::1), so that decoders are tested on real bytes.
 *
 * @module
 */

/**
 * Bytes from hex pairs in a template; whitespace and `//` comments to the end of a line are
 * ignored.
 */
export function hex(text: string): Uint8Array {
  const digits = text.replace(/\/\/[^\n]*/g, "").replace(/\s+/g, "");
  if (digits.length % 2 !== 0 || /[^0-9a-f]/i.test(digits)) throw new Error("bad hex");
  return new Uint8Array(digits.match(/../g)?.map((b) => parseInt(b, 16)) ?? []);
}

/** 2001:db8::1, a source. */
export const SRC = hex("20 01 0d b8 00 00 00 00 00 00 00 00 00 00 00 01");
/** ff05::1, a group. */
export const GRP = hex("ff 05 00 00 00 00 00 00 00 00 00 00 00 00 00 01");

/** Captured: the NOCACHE upcall for (2001:db8::1, ff05::2) arriving on mif 0; recvmsg gave 80 bytes. */
export const UPCALL = hex(`
  00                                               // im6_mbz: 0 marks an upcall
  01                                               // im6_msgtype = MRT6MSG_NOCACHE
  00 00                                            // im6_mif = 0 (host order)
  00 00 00 00                                      // im6_pad
  20 01 0d b8 00 00 00 00 00 00 00 00 00 00 00 01  // im6_src = 2001:db8::1
  ff 05 00 00 00 00 00 00 00 00 00 00 00 00 00 02  // im6_dst = ff05::2
  00 00 00 fe 14 00 01 00 20 01 0d b8 00 01 00 00  // 40 more bytes that mean nothing
  00 00 00 00 00 00 00 fe 24 00 01 00 00 00 00 00
  00 00 00 00 00 00 00 00
`);
/** Captured: the control buffer that came with UPCALL (64 bytes). */
export const UPCALL_CONTROL = hex(`
  24 00 00 00 00 00 00 00  // cmsg_len = 36
  29 00 00 00 32 00 00 00  // level IPPROTO_IPV6, type IPV6_PKTINFO
  00 00 00 00 00 00 00 00 00 00 ff ff 00 00 00 00  // ipi6_addr = ::ffff:0.0.0.0
  00 00 00 00              // ipi6_ifindex = 0
  00 00 00 00              // padding to 40
  14 00 00 00 00 00 00 00  // cmsg_len = 20
  29 00 00 00 34 00 00 00  // level IPPROTO_IPV6, type IPV6_HOPLIMIT
  00 00 00 00              // hop limit 0
  00 00 00 00              // padding to 64
`);
/** Captured: an MLDv2 report from a host on ifindex 3, with IPV6_RECV{PKTINFO,HOPLIMIT,HOPOPTS}. */
export const REPORT_CONTROL = hex(`
  24 00 00 00 00 00 00 00  // cmsg_len = 36
  29 00 00 00 32 00 00 00  // level IPPROTO_IPV6, type IPV6_PKTINFO
  ff 02 00 00 00 00 00 00 00 00 00 00 00 00 00 16  // ipi6_addr = ff02::16 (the destination)
  03 00 00 00              // ipi6_ifindex = 3
  00 00 00 00              // padding to 40
  14 00 00 00 00 00 00 00  // cmsg_len = 20
  29 00 00 00 34 00 00 00  // level IPPROTO_IPV6, type IPV6_HOPLIMIT
  01 00 00 00              // hop limit 1
  00 00 00 00              // padding to 64
  18 00 00 00 00 00 00 00  // cmsg_len = 24
  29 00 00 00 36 00 00 00  // level IPPROTO_IPV6, type IPV6_HOPOPTS
  3a                       // next header = ICMPv6
  00                       // length: 8 bytes
  05 02 00 00              // Router Alert, value 0 (MLD)
  01 00                    // PadN, 0 bytes
`);
