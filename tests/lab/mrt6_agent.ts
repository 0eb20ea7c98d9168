/**
 * Drives the IPv6 half of the OS port (`ffi/mrt6_linux.ts`) inside a lab namespace, one command
 * per stdin line, one JSON event per stdout line, so that an end-to-end test can check it
 * against a real kernel before the daemon uses it:
 *
 * ```sh
 * ip netns exec NS deno run --allow-ffi --allow-read --allow-env tests/lab/mrt6_agent.ts
 * ```
 *
 * Commands (addresses in IPv6 text, interfaces by name):
 * - `init IF...`: MRT6_INIT, then MIFs 0, 1, … for the interfaces in order → `inited`;
 * - `join GROUP IF` / `leave GROUP IF`: a host membership (also usable without `init`) →
 *   `joined` / `left`;
 * - `recv MS`: waits up to MS ms for the next MLD message or upcall → `rx` (type, source,
 *   ifindex, hopLimit, routerAlert, length; or msgtype, mif, source, group) or `timeout`;
 * - `query IF VERSION MS`: an MLD general query (version 1 or 2, Maximum Response Delay MS) to
 *   ff02::1 → `sent`;
 * - `mfc SOURCE GROUP PARENT OIF...` / `delmfc SOURCE GROUP` → `done`;
 * - `count SOURCE GROUP` → `count` with packets, bytes, wrongIf;
 * - `quit` (or EOF): closes everything → `bye`.
 *
 * A failing command gives `{"ev":"error","cmd":..,"message":..}` and the agent goes on.
 *
 * @module
 */

import { openLibc } from "../../ffi/libc.ts";
import { LinuxMrt6 } from "../../ffi/mrt6_linux.ts";
import { formatIPv6, parseIPv6 } from "../../src/proto/addr.ts";
import { encodeMldQuery, IN6ADDR_ANY, IN6ADDR_LINKLOCAL_ALLNODES } from "../../src/proto/mld.ts";
import { awaitReady, emit, type JsonEvent, parseEvent, readLines, wallNow } from "./json_lines.ts";
import { denoRunArgv, type Lab } from "./lab.ts";

function addr(s: string | undefined): Uint8Array {
  const a = s === undefined ? undefined : parseIPv6(s);
  if (a === undefined) throw new Error(`Bad IPv6 address "${s}"`);
  return a;
}

async function main(): Promise<number> {
  const libc = openLibc();
  const mrt = new LinuxMrt6(libc);
  const ifindex = (name: string | undefined): number => {
    const i = libc.symbols.if_nametoindex(new TextEncoder().encode(`${name}\0`));
    if (i === 0) throw new Error(`No interface "${name}"`);
    return i;
  };
  emit({ ev: "ready", t: wallNow() });
  try {
    for await (const line of readLines(Deno.stdin.readable)) {
      const [cmd, ...args] = line.trim().split(/\s+/);
      if (cmd === "" || cmd === undefined) continue;
      if (cmd === "quit") break;
      try {
        switch (cmd) {
          case "init":
            mrt.init();
            args.forEach((name, mifi) => mrt.addMif({ mifi, ifindex: ifindex(name) }));
            emit({ ev: "inited", mifs: args.length });
            break;
          case "join":
          case "leave":
            if (cmd === "join") mrt.joinGroup(addr(args[0]), ifindex(args[1]));
            else mrt.leaveGroup(addr(args[0]), ifindex(args[1]));
            emit({ ev: cmd === "join" ? "joined" : "left", group: args[0] });
            break;
          case "recv": {
            const deadline = performance.now() + Number(args[0]);
            let got = mrt.receive();
            while (got === undefined && performance.now() < deadline) {
              await new Promise((r) => setTimeout(r, 5));
              got = mrt.receive();
            }
            if (got === undefined) emit({ ev: "timeout" });
            else if (got.kind === "upcall") {
              emit({
                ev: "rx",
                kind: "upcall",
                msgtype: got.msgtype,
                mif: got.mif,
                source: formatIPv6(got.source),
                group: formatIPv6(got.group),
              });
            } else {
              emit({
                ev: "rx",
                kind: "packet",
                type: got.data[0],
                ifindex: got.ifindex,
                source: formatIPv6(got.source),
                destination: formatIPv6(got.destination),
                hopLimit: got.hopLimit ?? null,
                routerAlert: got.routerAlert,
                length: got.length,
              });
            }
            break;
          }
          case "query": {
            const message = encodeMldQuery({
              group: IN6ADDR_ANY,
              maxRespDelayMs: Number(args[2]),
              version: Number(args[1]) === 1 ? 1 : 2,
            });
            mrt.sendMld({
              ifindex: ifindex(args[0]),
              destination: IN6ADDR_LINKLOCAL_ALLNODES,
              message,
            });
            emit({ ev: "sent", what: "query" });
            break;
          }
          case "mfc":
            mrt.addMfc({
              source: addr(args[0]),
              group: addr(args[1]),
              parent: Number(args[2]),
              oifs: args.slice(3).map(Number),
            });
            emit({ ev: "done", cmd });
            break;
          case "delmfc":
            mrt.delMfc(addr(args[0]), addr(args[1]));
            emit({ ev: "done", cmd });
            break;
          case "count":
            emit({ ev: "count", ...mrt.sgCount(addr(args[0]), addr(args[1])) });
            break;
          default:
            throw new Error(`Unknown command "${cmd}"`);
        }
      } catch (e) {
        emit({ ev: "error", cmd, message: e instanceof Error ? e.message : String(e) });
      }
    }
  } finally {
    mrt.close();
    libc.close();
  }
  emit({ ev: "bye", t: wallNow() });
  return 0;
}

/** An agent running in a lab namespace, started by {@link startMrt6Agent}. */
export interface Mrt6Agent extends AsyncDisposable {
  /** Sends one command and resolves with the event it answers with. */
  command(line: string): Promise<JsonEvent>;
}

/** Starts the agent in a namespace and waits until it is ready. */
export async function startMrt6Agent(lab: Lab, ns: string): Promise<Mrt6Agent> {
  const child = lab.spawnIn(
    ns,
    denoRunArgv(new URL("./mrt6_agent.ts", import.meta.url), [], [
      "--allow-ffi",
      "--allow-read",
      "--allow-env",
    ]),
    { stdin: "piped", stdout: "piped" },
  );
  const lines = readLines(child.stdout);
  await awaitReady(lines, child, "The MRT6 agent");
  const writer = child.stdin.getWriter();
  const encoder = new TextEncoder();
  const next = async (): Promise<JsonEvent> => {
    for (let r = await lines.next(); !r.done; r = await lines.next()) {
      const ev = parseEvent(r.value);
      if (ev !== null) return ev;
    }
    throw new Error(`The MRT6 agent exited (code ${(await child.status).code})`);
  };
  return {
    async command(line) {
      await writer.write(encoder.encode(line + "\n"));
      return await next();
    },
    async [Symbol.asyncDispose]() {
      try {
        await writer.write(encoder.encode("quit\n"));
        await writer.close();
      } catch {
        // Already gone.
      }
      for (let r = await lines.next(); !r.done; r = await lines.next()) {
        // Drain until EOF.
      }
      await child.status;
    },
  };
}

if (import.meta.main) Deno.exit(await main());
