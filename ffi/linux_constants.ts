/**
 * Linux constants for sockets and IPv4 multicast routing, spelled as in the kernel headers
 * (<linux/mroute.h>, <netinet/in.h>, <sys/socket.h>, <poll.h>, <sys/eventfd.h>,
 * <linux/netlink.h>, <linux/rtnetlink.h>).
 *
 * @module
 */

/** Address family IPv4. */
export const AF_INET = 2;
/** Address family netlink (kernel ↔ user messages). */
export const AF_NETLINK = 16;
/** Netlink protocol: routing and link messages (rtnetlink). */
export const NETLINK_ROUTE = 0;
/** rtnetlink multicast group: links created, deleted or changed (flags, name). */
export const RTMGRP_LINK = 0x1;
/** rtnetlink multicast group: IPv4 addresses added or removed. */
export const RTMGRP_IPV4_IFADDR = 0x10;
/** Stream-less datagram socket. */
export const SOCK_DGRAM = 2;
/** Raw socket. */
export const SOCK_RAW = 3;
/** Socket flag: non-blocking. */
export const SOCK_NONBLOCK = 0o4000;
/** Socket flag: close on exec. */
export const SOCK_CLOEXEC = 0o2000000;
/** Protocol level IP. */
export const IPPROTO_IP = 0;
/** IGMP protocol number. */
export const IPPROTO_IGMP = 2;
/** UDP protocol number. */
export const IPPROTO_UDP = 17;

/** IP options (used for Router Alert). */
export const IP_OPTIONS = 4;
/** Type of service byte. */
export const IP_TOS = 1;
/** TOS for IGMP: precedence "internetwork control", as Linux hosts send it. */
export const IPTOS_PREC_INTERNETCONTROL = 0xc0;
/** Receive `struct in_pktinfo` ancillary data. */
export const IP_PKTINFO = 8;
/** Outgoing multicast interface (`struct ip_mreqn`). */
export const IP_MULTICAST_IF = 32;
/** Multicast TTL. */
export const IP_MULTICAST_TTL = 33;
/** Loop multicast back to local sockets. */
export const IP_MULTICAST_LOOP = 34;
/** Join a group (`struct ip_mreqn`). */
export const IP_ADD_MEMBERSHIP = 35;
/** Leave a group (`struct ip_mreqn`). */
export const IP_DROP_MEMBERSHIP = 36;

/** Take the kernel multicast routing table. */
export const MRT_INIT = 200;
/** Release it. */
export const MRT_DONE = 201;
/** Add a VIF. */
export const MRT_ADD_VIF = 202;
/** Delete a VIF. */
export const MRT_DEL_VIF = 203;
/** Add or update an MFC entry. */
export const MRT_ADD_MFC = 204;
/** Delete an MFC entry. */
export const MRT_DEL_MFC = 205;
/** Read the multicast routing API version. */
export const MRT_VERSION = 206;
/** Number of VIFs the kernel supports. */
export const MAXVIFS = 32;
/** VIF flag: `vifc_lcl_ifindex` holds an interface index. */
export const VIFF_USE_IFINDEX = 0x8;

/** Upcall: no cache entry for (S,G). */
export const IGMPMSG_NOCACHE = 1;
/** Upcall: packet arrived on the wrong VIF. */
export const IGMPMSG_WRONGVIF = 2;
/** Upcall: whole packet (PIM register). */
export const IGMPMSG_WHOLEPKT = 3;
/** Upcall: wrong VIF with whole packet. */
export const IGMPMSG_WRVIFWHOLE = 4;

/** ioctl: per-VIF counters. */
export const SIOCGETVIFCNT = 0x89e0;
/** ioctl: per-(S,G) counters. */
export const SIOCGETSGCNT = 0x89e1;

/** recv flag: do not block. */
export const MSG_DONTWAIT = 0x40;
/** poll: readable. */
export const POLLIN = 0x1;
/** eventfd flag: non-blocking. */
export const EFD_NONBLOCK = 0o4000;
/** eventfd flag: close on exec. */
export const EFD_CLOEXEC = 0o2000000;

/** Interface flag: up. */
export const IFF_UP = 0x1;
/** Interface flag: loopback. */
export const IFF_LOOPBACK = 0x8;
/** Interface flag: operational (up with a carrier, RFC 2863 operstate up or unknown). */
export const IFF_RUNNING = 0x40;
/** Interface flag: multicast capable. */
export const IFF_MULTICAST = 0x1000;

/** IP option: Router Alert (RFC 2113), with its 2 value bytes = 0. */
export const IPOPT_RA_BYTES: Readonly<Uint8Array> = new Uint8Array([0x94, 0x04, 0x00, 0x00]);

/** Socket-level options (<asm-generic/socket.h>). */
export const SOL_SOCKET = 1;
/** Receive buffer size, capped by net.core.rmem_max. */
export const SO_RCVBUF = 8;
/** Receive buffer size, not capped (needs CAP_NET_ADMIN). */
export const SO_RCVBUFFORCE = 33;
