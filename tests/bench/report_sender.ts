/**
 * The source-filter benchmark's report generator, run in a LAN host's namespace: sends
 * `passes` passes of a {@link SourceLoad}'s IGMPv3 reports ({@link passPackets}) through an
 * AF_PACKET socket to 01:00:5e:00:00:16, past the host's own IGMP stack, as fast as it can or at
 * `rate` reports/s.
 *
 * ```sh
 * deno run --allow-ffi --allow-env --allow-read tests/bench/report_sender.ts \
 *   '{"iface":"eth0","from":"10.1.0.11","load":{...},"passes":10,"rate":0}'
 * ```
 *
 * On stdout, one JSON object per line: `{"ev":"ready","t":ms}` once the socket is open and the
 * packets built, then `{"ev":"done","sent":n,"errors":n,"startedAt":ms,"endedAt":ms}` (wall
 * clock ms of the first and after the last send), with `"firstError"` when a send failed. Exit
 * codes: 0 done, 1 socket or interface unusable, 2 bad argument.
 *
 * The module also exports {@link startReportSender}, which runs it in a lab namespace. It opens
 * libc only when run as a script.
 *
 * @module
 */

import { errnoName } from "../../ffi/errno.ts";
import { type Libc, openLibc } from "../../ffi/libc.ts";
import { parseIPv4 } from "../../src/proto/addr.ts";
import { INADDR_ALLRPTS_GROUP } from "../../src/proto/igmp.ts";
import { messageOf } from "../../src/log.ts";
import { PacketSender } from "../lab/igmp_tool.ts";
import { awaitReady, emit, parseEvent, readLines, wallNow } from "../lab/json_lines.ts";
import { denoRunArgv, type Lab } from "../lab/lab.ts";
import { passPackets, type SourceLoad } from "./source_reports.ts";

/** Reports sent between looks at the clock and the signals. */
const BATCH = 100;

/** What the generator sends. */
export interface SenderPlan {
  /** Interface to send on. */
  iface: string;
  /** The host's address, the packets' source. */
  from: string;
  /** The reports of one pass. */
  load: SourceLoad;
  /** Passes to send. */
  passes: number;
  /** Reports per second; 0 as fast as possible. */
  rate: number;
}

/** What the generator reports at the end. */
export interface SenderSummary {
  /** Reports sent. */
  sent: number;
  /** Sends that failed. */
  errors: number;
  /** Wall-clock ms just before the first send. */
  startedAt: number;
  /** Wall-clock ms just after the last send. */
  endedAt: number;
  /** errno name of the first failed send, if any. */
  firstError?: string;
}

async function main(args: string[]): Promise<number> {
  let plan: SenderPlan;
  let from: number | undefined;
  try {
    plan = JSON.parse(args[0] ?? "") as SenderPlan;
    from = parseIPv4(plan.from);
    if (from === undefined) throw new Error(`Bad host address "${plan.from}"`);
  } catch (e) {
    console.error(`report_sender: ${messageOf(e)}`);
    return 2;
  }
  const packets = passPackets(plan.load, from);
  let libc: Libc;
  try {
    libc = openLibc();
  } catch (e) {
    console.error(`report_sender: Cannot open libc: ${messageOf(e)}`);
    return 1;
  }
  try {
    let sender;
    try {
      sender = new PacketSender(libc, plan.iface);
    } catch (e) {
      console.error(`report_sender: ${messageOf(e)}`);
      return 1;
    }
    let stop = false;
    const onSignal = () => stop = true;
    Deno.addSignalListener("SIGTERM", onSignal);
    try {
      emit({ ev: "ready", t: wallNow() });
      const total = packets.length * plan.passes;
      const periodMs = plan.rate > 0 ? 1000 / plan.rate : 0;
      const summary: SenderSummary = { sent: 0, errors: 0, startedAt: wallNow(), endedAt: 0 };
      const t0 = performance.now();
      for (let i = 0; i < total && !stop;) {
        for (const end = Math.min(total, i + BATCH); i < end; i++) {
          const errno = sender.send(packets[i % packets.length], INADDR_ALLRPTS_GROUP);
          if (errno === 0) summary.sent++;
          else {
            summary.errors++;
            summary.firstError ??= errnoName(errno);
          }
        }
        const ahead = periodMs === 0 ? 0 : t0 + i * periodMs - performance.now();
        // A timer turn lets the signal listener run; at full speed, only every 100 batches.
        if (ahead > 0 || i % (BATCH * 100) === 0) {
          await new Promise((r) => setTimeout(r, Math.max(0, ahead)));
        }
      }
      summary.endedAt = wallNow();
      emit({ ev: "done", ...summary });
    } finally {
      Deno.removeSignalListener("SIGTERM", onSignal);
      sender[Symbol.dispose]();
    }
    return 0;
  } finally {
    libc.close();
  }
}

/**
 * Runs the generator in namespace `ns` and waits until it is ready; resolves with its summary
 * once it has sent everything. Throws if it exits without one. {@link Lab.destroy} stops it.
 */
export async function startReportSender(
  lab: Lab,
  ns: string,
  plan: SenderPlan,
): Promise<{ done: Promise<SenderSummary> }> {
  const child = lab.spawnIn(
    ns,
    denoRunArgv(new URL("./report_sender.ts", import.meta.url), [JSON.stringify(plan)], [
      "--allow-ffi",
      "--allow-env",
      "--allow-read",
    ]),
    { stdout: "piped" },
  );
  const lines = readLines(child.stdout);
  await awaitReady(lines, child, "The report generator");
  const done = (async () => {
    let summary: SenderSummary | null = null;
    for await (const line of lines) {
      const ev = parseEvent(line);
      if (ev?.ev === "done") {
        const { ev: _, ...rest } = ev;
        summary = rest as unknown as SenderSummary;
      }
    }
    const status = await child.status;
    if (summary === null) {
      throw new Error(`The report generator exited without a summary (exit code ${status.code})`);
    }
    return summary;
  })();
  done.catch(() => {});
  return { done };
}

if (import.meta.main) Deno.exit(await main(Deno.args));
