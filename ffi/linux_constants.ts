/**
 * Linux constants for sockets and IPv4/IPv6 multicast routing, spelled as in the kernel headers
 * (<linux/mroute.h>, <linux/mroute6.h>, <linux/in6.h>, <netinet/in.h>, <netinet/icmp6.h>,
 * <sys/socket.h>, <poll.h>, <sys/eventfd.h>, <linux/netlink.h>, <linux/rtnetlink.h>).
 *
 * The IPv6 values were checked against the headers of this machine kind (Debian 12, glibc
 * 2.36, Linux uapi 6.x) with a C program printing each macro and `sizeof`/`offsetof`, and
 * against upstream include/uapi/linux/mroute6.h, in6.h and icmpv6.h.
 *
 * @module
 */

/** Address family IPv4. */
export const AF_INET = 2;
/** Address family IPv6 (<bits/socket.h>: PF_INET6). */
export const AF_INET6 = 10;
/** Address family netlink (kernel ↔ user messages). */
export const AF_NETLINK = 16;
/** Netlink protocol: routing and link messages (rtnetlink). */
export const NETLINK_ROUTE = 0;
/** rtnetlink multicast group: links created, deleted or changed (flags, name). */
export const RTMGRP_LINK = 0x1;
/** rtnetlink multicast group: IPv4 addresses added or removed. */
export const RTMGRP_IPV4_IFADDR = 0x10;
/** rtnetlink multicast group: IPv6 addresses added or removed. */
export const RTMGRP_IPV6_IFADDR = 0x100;
/** rtnetlink message: an address (a reply to RTM_GETADDR, or news of one added or changed). */
export const RTM_NEWADDR = 20;
/** rtnetlink request: list addresses. */
export const RTM_GETADDR = 22;
/** Netlink message type: the end of a multipart (dump) reply. */
export const NLMSG_DONE = 3;
/** Netlink message type: an error (struct nlmsgerr, a negative errno first). */
export const NLMSG_ERROR = 2;
/** Netlink flag: a request. */
export const NLM_F_REQUEST = 0x1;
/** Netlink flag: dump the whole table (NLM_F_ROOT | NLM_F_MATCH). */
export const NLM_F_DUMP = 0x300;
/** Address attribute: the address. */
export const IFA_ADDRESS = 1;
/** Address attribute: the address flags, all 32 bits (u32). */
export const IFA_FLAGS = 8;
/** Address flag: duplicate address detection failed. */
export const IFA_F_DADFAILED = 0x08;
/** Address flag: duplicate address detection has not completed: not usable as a source yet. */
export const IFA_F_TENTATIVE = 0x40;
/** Socket option (SOL_SOCKET): receive timeout, a struct timeval. */
export const SO_RCVTIMEO = 20;
/** Stream-less datagram socket. */
export const SOCK_DGRAM = 2;
/** Local (UNIX domain) sockets: the syslog socket. */
export const AF_UNIX = 1;
/** send(2) flag: no SIGPIPE when the peer is gone. */
export const MSG_NOSIGNAL = 0x4000;
/** Raw socket. */
export const SOCK_RAW = 3;
/** Connection-based byte stream (TCP for AF_INET and AF_INET6). */
export const SOCK_STREAM = 1;
/** Link-level packet sockets (<linux/if_packet.h>). */
export const AF_PACKET = 17;
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
/** Protocol level IPv6: the level of every IPV6_* and MRT6_* option (<netinet/in.h>). */
export const IPPROTO_IPV6 = 41;
/** ICMPv6 protocol number, and the level of ICMP6_FILTER (<netinet/in.h>). */
export const IPPROTO_ICMPV6 = 58;

/** IP options (used for Router Alert). */
export const IP_OPTIONS = 4;
/** Type of service byte. */
export const IP_TOS = 1;
/** TOS for IGMP: precedence "internetwork control", as Linux hosts send it. */
export const IPTOS_PREC_INTERNETCONTROL = 0xc0;
/**
 * IP options for one packet: a cmsg at level IPPROTO_IP (`<linux/in.h>`). Its options replace
 * the socket's IP_OPTIONS for that packet; with no data bytes the packet goes with none.
 */
export const IP_RETOPTS = 7;
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

/**
 * Protocol-independent multicast API (RFC 3678 §5, <netinet/in.h>): the same option numbers at
 * level IPPROTO_IP and IPPROTO_IPV6. Join a group, any source (`struct group_req`): the
 * socket's filter is EXCLUDE {}.
 */
export const MCAST_JOIN_GROUP = 42;
/** Leave a group, whatever the socket's filter (`struct group_req`). */
export const MCAST_LEAVE_GROUP = 45;
/**
 * Join a group for one source (`struct group_source_req`): a socket not yet joined starts in
 * INCLUDE {source}, with no moment of any-source membership.
 */
export const MCAST_JOIN_SOURCE_GROUP = 46;
/**
 * Set a joined socket's whole source filter (`struct group_filter`, GROUP_FILTER_SIZE(n)
 * bytes): ENOBUFS past `net.ipv4.igmp_max_msf` / `net.ipv6.mld_max_msf` sources, EINVAL
 * without a prior join; INCLUDE {} leaves the group.
 */
export const MCAST_MSFILTER = 48;
/** Filter mode of `gf_fmode`: every source but the listed ones. */
export const MCAST_EXCLUDE = 0;
/** Filter mode of `gf_fmode`: only the listed sources. */
export const MCAST_INCLUDE = 1;

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
/** VIF flag: an IP-in-IP tunnel from `vifc_lcl_addr` to `vifc_rmt_addr` (needs the ipip module). */
export const VIFF_TUNNEL = 0x1;
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

/** Take the kernel IPv6 multicast routing table (`int` 1; MRT6_BASE 200 = MRT_BASE). */
export const MRT6_INIT = 200;
/** Release it. */
export const MRT6_DONE = 201;
/** Add a MIF (`struct mif6ctl`). */
export const MRT6_ADD_MIF = 202;
/** Delete a MIF: the kernel reads only a `mifi_t` (u16), unlike MRT_DEL_VIF's vifctl. */
export const MRT6_DEL_MIF = 203;
/** Add or update an MFC entry (`struct mf6cctl`). */
export const MRT6_ADD_MFC = 204;
/** Delete an MFC entry (`struct mf6cctl`; parent and ifset are ignored). */
export const MRT6_DEL_MFC = 205;
/** Read the IPv6 multicast routing API version. */
export const MRT6_VERSION = 206;
/** Number of MIFs the kernel supports; MFC ifset bits from MAXMIFS on are ignored. */
export const MAXMIFS = 32;
/** MIF flag: PIM register MIF (no physical interface). */
export const MIFF_REGISTER = 0x1;

/** Upcall (`mrt6msg`): no cache entry for (S,G). */
export const MRT6MSG_NOCACHE = 1;
/** Upcall: packet arrived on the wrong MIF. */
export const MRT6MSG_WRONGMIF = 2;
/** Upcall: whole packet (PIM register). */
export const MRT6MSG_WHOLEPKT = 3;
/** Upcall: wrong MIF with whole packet. */
export const MRT6MSG_WRMIFWHOLE = 4;

/** ioctl: per-MIF counters (`struct sioc_mif_req6`); SIOCPROTOPRIVATE, as SIOCGETVIFCNT. */
export const SIOCGETMIFCNT_IN6 = 0x89e0;
/** ioctl: per-(S,G) counters (`struct sioc_sg_req6`); SIOCPROTOPRIVATE + 1, as SIOCGETSGCNT. */
export const SIOCGETSGCNT_IN6 = 0x89e1;

/** Outgoing multicast interface (`int` ifindex). */
export const IPV6_MULTICAST_IF = 17;
/** Multicast hop limit (`int`). */
export const IPV6_MULTICAST_HOPS = 18;
/** Loop multicast back to local sockets (`int`). */
export const IPV6_MULTICAST_LOOP = 19;
/** Join a group (`struct ipv6_mreq`); glibc also names it IPV6_JOIN_GROUP. */
export const IPV6_ADD_MEMBERSHIP = 20;
/** Leave a group (`struct ipv6_mreq`); glibc also names it IPV6_LEAVE_GROUP. */
export const IPV6_DROP_MEMBERSHIP = 21;
/** Receive `struct in6_pktinfo` ancillary data (RFC 3542; not the RFC 2292 value 2). */
export const IPV6_RECVPKTINFO = 49;
/** cmsg type of `struct in6_pktinfo`; also a sticky option for the source. */
export const IPV6_PKTINFO = 50;
/** Receive the hop limit as ancillary data (RFC 3542; not the RFC 2292 value 8). */
export const IPV6_RECVHOPLIMIT = 51;
/** cmsg type of the received hop limit (`int`). */
export const IPV6_HOPLIMIT = 52;
/** Receive the hop-by-hop options header as ancillary data (RFC 3542). */
export const IPV6_RECVHOPOPTS = 53;
/** Sticky hop-by-hop options header for sending (needs CAP_NET_RAW); also its cmsg type. */
export const IPV6_HOPOPTS = 54;

/** ICMPv6 type filter, level IPPROTO_ICMPV6 (<netinet/icmp6.h>; the kernel's ICMPV6_FILTER). */
export const ICMP6_FILTER = 1;

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

/**
 * Hop-by-hop options header for IPV6_HOPOPTS: next header 0 (the kernel fills it), length 0
 * (8 bytes), Router Alert (RFC 2711) with value 0 = MLD, PadN of 0 bytes.
 */
export const IPV6_HOPOPTS_RA_BYTES: Readonly<Uint8Array> = new Uint8Array([
  0x00, // next header: the kernel fills it
  0x00, // header extension length: (0 + 1) × 8 bytes
  0x05, // option type: Router Alert
  0x02, // option length
  0x00,
  0x00, // Router Alert value 0: MLD
  0x01, // option type: PadN
  0x00, // option length: 0 padding bytes follow
]);

/** Socket-level options (<asm-generic/socket.h>). */
export const SOL_SOCKET = 1;
/** Receive buffer size, capped by net.core.rmem_max. */
export const SO_RCVBUF = 8;
/** Receive buffer size, not capped (needs CAP_NET_ADMIN). */
export const SO_RCVBUFFORCE = 33;

/** open(2) flag: read only (<bits/fcntl-linux.h>). */
export const O_RDONLY = 0;
/** open(2) flag: do not make a terminal the controlling one. */
export const O_NOCTTY = 0o400;
/** open(2) flag: do not block (a FIFO opened by mistake). */
export const O_NONBLOCK = 0o4000;
/** open(2) flag: fail unless the path is a directory. */
export const O_DIRECTORY = 0o200000;
/** open(2) flag: close on exec. */
export const O_CLOEXEC = 0o2000000;
/** open(2) flag: a handle for *at() lookups only, no read access to the object itself. */
export const O_PATH = 0o10000000;
/** statx(2) mask: the basic fields of struct stat. */
export const STATX_BASIC_STATS = 0x7ff;
/** Size of struct statx (<linux/stat.h>; the same on every architecture). */
export const STATX_SIZE = 256;
/** struct statx offsets: stx_uid u32, stx_mode u16. */
export const STATX = Object.freeze({ stx_uid: 20, stx_mode: 28 });
/** st_mode: the file type bits, and the type of a regular file (<sys/stat.h>). */
export const S_IFMT = 0o170000;
/** st_mode type of a regular file. */
export const S_IFREG = 0o100000;
