import { deepStrictEqual } from "node:assert/strict";
import { describeSockets, matchSockets } from "./sockets.ts";

// Lines as Linux 6.1 writes them (headers included; trailing columns cut where unused).
const TABLES = {
  tcp: [
    "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode",
    "   0: 0100007F:240D 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 501 1 0 100 0 0 10 0",
  ].join("\n"),
  udp: [
    "   sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode ref pointer drops",
    "  1: 00000000:0000 00000000:0000 07 00000000:00000000 00:00000000 00000000     0        0 502 2 0 0",
    "  2: 00000000:1B5F 00000000:0000 07 00000000:00000000 00:00000000 00000000     0        0 503 2 0 0",
  ].join("\n"),
  raw: [
    "   sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode ref pointer drops",
    "   2: 00000000:0002 00000000:0000 07 00000000:00000000 00:00000000 00000000     0        0 504 2 0 0",
  ].join("\n"),
  raw6: [
    "  sl  local_address                         remote_address                        st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode ref pointer drops",
    "  58: 00000000000000000000000000000000:003A 00000000000000000000000000000000:0000 07 00000000:00000000 00:00000000 00000000     0        0 505 2 0 0",
  ].join("\n"),
  unix: [
    "Num       RefCount Protocol Flags    Type St Inode Path",
    "00000000dafeb174: 00000003 00000000 00000000 0001 03 506",
    "00000000fcaa94a6: 00000002 00000000 00010000 0001 01 507 /run/ctl.sock",
    "00000000fcaa94a7: 00000002 00000000 00000000 0002 01 508 /dev/log",
  ].join("\n"),
  netlink: [
    "sk               Eth Pid        Groups   Rmem     Wmem     Dump  Locks    Drops    Inode",
    "000000001c0931b2 0   4021       00000111 0        0        0     2        0        509",
  ].join("\n"),
};

Deno.test("matchSockets: each inode found in its table, with what it is bound to", () => {
  const got = matchSockets([501, 502, 503, 504, 505, 506, 507, 508, 509, 510], TABLES);
  deepStrictEqual(got, [
    { inode: 501, table: "tcp", local: "9229", listening: true },
    { inode: 502, table: "udp", local: "0", listening: false },
    { inode: 503, table: "udp", local: "7007", listening: true },
    { inode: 504, table: "raw", local: "2", listening: false },
    { inode: 505, table: "raw6", local: "58", listening: false },
    { inode: 506, table: "unix", local: "", listening: false },
    { inode: 507, table: "unix", local: "/run/ctl.sock", listening: true },
    { inode: 508, table: "unix", local: "/dev/log", listening: false },
    { inode: 509, table: "netlink", local: "0", listening: false },
    { inode: 510, listening: false },
  ]);
});

Deno.test("matchSockets: only the process's inodes, in its order; missing tables skipped", () => {
  deepStrictEqual(matchSockets([504], { raw: TABLES.raw }), [
    { inode: 504, table: "raw", local: "2", listening: false },
  ]);
  deepStrictEqual(matchSockets([], TABLES), []);
  deepStrictEqual(matchSockets([504], {}), [{ inode: 504, listening: false }]);
});

Deno.test("describeSockets: one sorted word per socket", () => {
  deepStrictEqual(describeSockets(matchSockets([509, 501, 504, 510], TABLES)), [
    "netlink:0",
    "raw:2",
    "tcp:9229 LISTENING",
    "unbound",
  ]);
});
