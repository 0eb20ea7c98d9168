import { deepStrictEqual, equal } from "node:assert/strict";
import { createLogger, formatSyslog, syslogSink } from "./log.ts";

Deno.test("formatSyslog: facility daemon with each level's severity, ident and pid", () => {
  const f = (level: "fatal" | "warn" | "info" | "debug") =>
    formatSyslog({ level, message: "m", ident: "mcast-proxy", pid: 7 });
  deepStrictEqual([f("fatal"), f("warn"), f("info"), f("debug")], [
    "<27>mcast-proxy[7]: m",
    "<28>mcast-proxy[7]: m",
    "<30>mcast-proxy[7]: m",
    "<31>mcast-proxy[7]: m",
  ]);
});

Deno.test("syslogSink: messages go to syslog without a timestamp; debug only with -v", () => {
  const sent: string[] = [];
  const log = createLogger({
    sink: syslogSink({ send: (m) => (sent.push(m), true), ident: "mcast-proxy", pid: 9 }),
    verbosity: 0,
    clock: () => new Date(0),
  });
  log.info("Started");
  log.debug("not shown");
  log.warn("Careful");
  deepStrictEqual(sent, ["<30>mcast-proxy[9]: Started", "<28>mcast-proxy[9]: Careful"]);
  equal(log.debugEnabled, false);
});
