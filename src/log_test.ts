import { deepStrictEqual, equal } from "node:assert/strict";
import { createLogger, errnoOrMessageOf, formatSyslog, messageOf, syslogSink } from "./log.ts";

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

Deno.test("messageOf: an Error's message, and any other thrown value as a string", () => {
  const withCode = Object.assign(new Error("write: No space left on device (os error 28)"), {
    code: "ENOSPC",
  });
  deepStrictEqual(
    [messageOf(new TypeError("bad")), messageOf(withCode), messageOf("gone"), messageOf(42)],
    ["bad", "write: No space left on device (os error 28)", "gone", "42"],
  );
  deepStrictEqual([messageOf(undefined), messageOf(null)], ["undefined", "null"]);
});

Deno.test("errnoOrMessageOf: the errno name in code, else the message", () => {
  const sysError = Object.assign(new Error("setsockopt(MRT_ADD_MFC): EEXIST"), { code: "EEXIST" });
  deepStrictEqual(
    [
      errnoOrMessageOf(sysError),
      errnoOrMessageOf(new Error("no route")),
      errnoOrMessageOf(Object.assign(new Error("odd"), { code: 5 })),
      errnoOrMessageOf("gone"),
      errnoOrMessageOf(null),
    ],
    ["EEXIST", "no route", "odd", "gone", "null"],
  );
});
