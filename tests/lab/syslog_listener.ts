/**
 * A stand-in syslog daemon for tests: binds a local datagram socket at the path given and prints
 * one JSON line per message received (`{"ev":"msg","text":...}`), after `{"ev":"ready"}`. Needs
 * `--unstable-net` (Deno's local datagram sockets) and `--allow-net`.
 *
 * ```sh
 * deno run --unstable-net --allow-net --allow-read --allow-write tests/lab/syslog_listener.ts PATH
 * ```
 *
 * @module
 */

import { emit } from "./json_lines.ts";

if (import.meta.main) {
  const path = Deno.args[0];
  if (path === undefined) {
    console.error("usage: syslog_listener.ts PATH");
    Deno.exit(2);
  }
  const socket = Deno.listenDatagram({ path, transport: "unixpacket" });
  emit({ ev: "ready" });
  const text = new TextDecoder();
  for await (const [data] of socket) emit({ ev: "msg", text: text.decode(data) });
}
