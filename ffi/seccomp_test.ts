import { deepStrictEqual } from "node:assert/strict";
import { listeningPorts } from "./seccomp.ts";

// /proc/net/tcp as Linux 6.1 writes it (header, then one line per socket).
const TCP = [
  "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode",
  "   0: 0100007F:240D 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 41234 1 0000000000000000 100 0 0 10 0",
  "   1: 0100007F:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 999 1 0000000000000000 100 0 0 10 0",
  "   2: 0100007F:240D 0100007F:D2C4 01 00000000:00000000 00:00000000 00000000     0        0 41235 1 0000000000000000 20 4 30 10 -1",
  "",
].join("\n");

const TCP6 = [
  "  sl  local_address                         remote_address                        st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode",
  "   0: 00000000000000000000000001000000:240D 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 777 1 0000000000000000 100 0 0 10 0",
].join("\n");

Deno.test("listeningPorts: the listening sockets among the given inodes, and their ports", () => {
  deepStrictEqual(listeningPorts(TCP, new Set([41234, 41235])), [9229]);
  deepStrictEqual(listeningPorts(TCP, new Set([41234, 999])), [9229, 8080]);
  deepStrictEqual(listeningPorts(TCP, new Set()), []);
  deepStrictEqual(listeningPorts(TCP6, new Set([777])), [9229]);
  deepStrictEqual(listeningPorts("", new Set([1])), []);
  deepStrictEqual(listeningPorts(TCP), [9229, 8080], "every listening socket");
});
