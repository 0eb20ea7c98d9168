/**
 * Drives the Linux OS port's upstream memberships with source filters (`LinuxMrt.joinGroup`,
 * `LinuxMrt6.joinGroup`) inside a namespace, for the host-kernel test of source filters. One
 * JSON command per line on stdin, one JSON answer per line on stdout:
 *
 * ```sh
 * deno run --allow-all tests/lab/source_filter_agent.ts IFACE
 * ```
 *
 * Commands:
 * - `{"op":"join","group":"232.1.1.1","filter":{"mode":"include","sources":["10.0.0.2"]}}`
 *   (no `filter`: any source); the family follows the group;
 * - `{"op":"leave","group":"232.1.1.1"}`;
 * - `{"op":"close"}`: closes both ports (every membership socket), then reads the state.
 *
 * Answers: `{"ev":"done","outcome":{...},"slots":[[fd,"include",count],...]}` or
 * `{"ev":"error","message":...}`. First `{"ev":"ready","init4":...,"init6":...}` says how each
 * port's `init()` went: on a kernel without multicast routing it fails (that is expected
 * here), after reading the sysctl of the sources per socket filter, which is what matters.
 *
 * @module
 */

import type { SourceFilter } from "../../src/core/actions.ts";
import { ipv6ToBigInt, parseIPv4, parseIPv6 } from "../../src/proto/addr.ts";
import { messageOf } from "../../src/log.ts";
import { openLibc } from "../../ffi/libc.ts";
import { LinuxMrt } from "../../ffi/mrt_linux.ts";
import { LinuxMrt6 } from "../../ffi/mrt6_linux.ts";
import { emit, readLines } from "./json_lines.ts";
import { interfaceIndex } from "./udp_receiver.ts";

/** A command of the agent. */
interface Command {
  op: "join" | "leave" | "close";
  group?: string;
  filter?: { mode: "include" | "exclude"; sources: string[] };
}

function v4(s: string): number {
  const a = parseIPv4(s);
  if (a === undefined) throw new Error(`Not an IPv4 address: ${s}`);
  return a;
}

function v6(s: string): bigint {
  const a = parseIPv6(s);
  if (a === undefined) throw new Error(`Not an IPv6 address: ${s}`);
  return ipv6ToBigInt(a);
}

function tryInit(port: { init(): void }): string {
  try {
    port.init();
    return "ok";
  } catch (e) {
    return messageOf(e);
  }
}

async function main(): Promise<void> {
  const libc = openLibc();
  const ifindex = interfaceIndex(libc, Deno.args[0] ?? "up0");
  const mrt = new LinuxMrt(libc);
  const mrt6 = new LinuxMrt6(libc);
  emit({ ev: "ready", ifindex, init4: tryInit(mrt), init6: tryInit(mrt6) });
  for await (const line of readLines(Deno.stdin.readable)) {
    if (line.trim() === "") continue;
    try {
      const cmd = JSON.parse(line) as Command;
      if (cmd.op === "close") {
        mrt.close();
        mrt6.close();
        emit({ ev: "done" });
        continue;
      }
      const group = cmd.group ?? "";
      const six = group.includes(":");
      if (cmd.op === "leave") {
        if (six) mrt6.leaveGroup(v6(group), ifindex);
        else mrt.leaveGroup(v4(group), ifindex);
        emit({ ev: "done" });
        continue;
      }
      if (six) {
        const filter: SourceFilter<bigint> | undefined = cmd.filter &&
          { mode: cmd.filter.mode, sources: cmd.filter.sources.map(v6) };
        const outcome = mrt6.joinGroup(v6(group), ifindex, filter);
        const slots = mrt6.membershipSlots(v6(group), ifindex);
        emit({ ev: "done", outcome, slots: slots.map((s) => [s.fd, s.mode, s.sources.length]) });
      } else {
        const filter: SourceFilter<number> | undefined = cmd.filter &&
          { mode: cmd.filter.mode, sources: cmd.filter.sources.map(v4) };
        const outcome = mrt.joinGroup(v4(group), ifindex, filter);
        const slots = mrt.membershipSlots(v4(group), ifindex);
        emit({ ev: "done", outcome, slots: slots.map((s) => [s.fd, s.mode, s.sources.length]) });
      }
    } catch (e) {
      emit({ ev: "error", message: messageOf(e) });
    }
  }
  mrt.close();
  mrt6.close();
}

if (import.meta.main) await main();
