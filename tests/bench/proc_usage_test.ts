import { deepStrictEqual, equal, throws } from "node:assert/strict";
import { parseRawSockets, statCpuTicks, statusRssBytes } from "./proc_usage.ts";

Deno.test("statCpuTicks: utime + stime, counted after the command name's last parenthesis", () => {
  const fields = (comm: string) =>
    `4242 (${comm}) S 1 4242 4242 0 -1 4194560 1046 0 0 0 173 58 0 0 20 0 9 0 52345 1 2`;
  equal(statCpuTicks(fields("deno")), 231);
  equal(statCpuTicks(fields("a) b (c")), 231, "a name with spaces and parentheses");
  throws(() => statCpuTicks("garbage"), /Not a \/proc\/PID\/stat line/);
  throws(() => statCpuTicks("1 (x) S 1 2"), /No utime\/stime/);
});

Deno.test("statusRssBytes: VmRSS in bytes; a kernel thread has none", () => {
  equal(
    statusRssBytes("Name:\tdeno\nVmPeak:\t 900 kB\nVmRSS:\t   51200 kB\nVmData: 1 kB\n"),
    52428800,
  );
  throws(() => statusRssBytes("Name:\tkthreadd\n"), /No VmRSS/);
});

Deno.test("parseRawSockets: protocol, receive queue, drops and inode of each socket", () => {
  const text =
    "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode ref pointer drops\n" +
    "   2: 00000000:0002 00000000:0000 07 00000000:00000300 00:00000000 00000000     0        0 81234 2 0000000000000000 17\n" +
    "  58: 00000000:003A 00000000:0000 07 00000000:00000000 00:00000000 00000000     0        0 81240 2 0000000000000000 0\n" +
    "truncated line\n";
  deepStrictEqual(parseRawSockets(text), [
    { protocol: 2, rxQueue: 768, drops: 17, inode: 81234 },
    { protocol: 58, rxQueue: 0, drops: 0, inode: 81240 },
  ]);
  deepStrictEqual(parseRawSockets(""), []);
});
