/**
 * Client for `host_agent.ts`: a Linux host in the lab that joins and leaves groups through its
 * kernel's ordinary host stack and records the datagrams it receives.
 *
 * @example
 * ```ts
 * await using h11 = await Host.onLan(lab, 1, 1);
 * const t0 = await h11.join("239.1.1.1");
 * const rx = await h11.waitFor("239.1.1.1", { since: t0, count: 10 });
 * await h11.leave("239.1.1.1");
 * await h11.join("ff05::1"); // IPv6 groups too, on the host's eth0
 * ```
 *
 * @module
 */

import { type JsonEvent, parseEvent, readLines, wallNow } from "./json_lines.ts";
import { denoRunArgv, type Lab, type LabShell } from "./lab.ts";
import { parseUdpReceiveDrops, type UdpReceiveDrops } from "./proc.ts";
import { scaledWait } from "./wait_scale.ts";
import type { SourceOp } from "./source_membership.ts";

/** One received datagram. */
export interface Rx {
  /** Sender's sequence number. */
  seq: number;
  /** Wall-clock ms of reception (see {@link wallNow}). */
  t: number;
  /** Source address (IPv6 for IPv6 groups, e.g. `2001:db8::2`). */
  src: string;
}

/** Where to run an agent: any namespace and the address of its interface. */
export interface HostStartOptions {
  /** Namespace to run in. */
  ns: string;
  /** IPv4 address of the interface to join IPv4 groups on. */
  addr: string;
  /** Name of the interface to join IPv6 groups on (default `eth0`, a lab host's). */
  iface?: string;
  /** The interface's IPv6 address, for reference (the agent does not need it). */
  addr6?: string;
  /** UDP port to receive on (default 5001). */
  port?: number;
  /** Name used in messages (default: the namespace). */
  name?: string;
  /**
   * `first`: the agent reports only the first datagram of a group after each join (default
   * `all`, every datagram).
   */
  rx?: "all" | "first";
}

/** Options for {@link Host.waitFor}. */
export interface WaitForOptions {
  /** Only count datagrams received at or after this wall-clock ms. */
  since?: number;
  /** Resolve once this many datagrams were received (default 1). Ignored when `until` is set. */
  count?: number;
  /** Resolve once this returns true for the datagrams received so far (since `since`). */
  until?: (rx: Rx[]) => boolean;
  /** Reject after this many ms (default 3000), scaled by {@link scaledWait} under emulation. */
  timeoutMs?: number;
}

interface Pending {
  expect: string;
  resolve: (ev: JsonEvent) => void;
  reject: (e: Error) => void;
}

interface Waiter {
  group: string;
  check: () => boolean;
  wake: () => void;
}

/** A running host agent. Close it with {@link Host.close} or `await using`. */
export class Host implements AsyncDisposable {
  /** Namespace the agent runs in. */
  readonly ns: string;
  /** IPv4 address IPv4 groups are joined on. */
  readonly addr: string;
  /** Interface IPv6 groups are joined on. */
  readonly iface: string;
  /** The interface's IPv6 address, when known (hosts on a LAN: `2001:db8:i::(10+j)`). */
  readonly addr6: string | undefined;
  /** Name used in messages. */
  readonly name: string;
  /** Non-rx events received so far (joined, left, error, pong, ...), in order. */
  readonly events: JsonEvent[] = [];
  #lab: LabShell;
  #child: Deno.ChildProcess;
  #writer: WritableStreamDefaultWriter<Uint8Array>;
  #rx = new Map<string, Rx[]>();
  #pending: Pending[] = [];
  #waiters = new Set<Waiter>();
  #ready: Promise<void>;
  #reading: Promise<void>;
  #stderr = "";
  #stderrDone: Promise<void>;
  #exited = false;
  #closing: Promise<void> | undefined;

  private constructor(lab: LabShell, opts: HostStartOptions) {
    this.ns = opts.ns;
    this.addr = opts.addr;
    this.iface = opts.iface ?? "eth0";
    this.addr6 = opts.addr6;
    this.name = opts.name ?? opts.ns;
    this.#lab = lab;
    const args = [
      ...["--iface-addr", opts.addr, "--iface", this.iface],
      ...["--port", String(opts.port ?? 5001)],
      ...(opts.rx === "first" ? ["--rx", "first"] : []),
    ];
    const child = lab.spawnIn(
      opts.ns,
      // FFI: the agent receives through libc, with the kernel's arrival times.
      denoRunArgv(new URL("./host_agent.ts", import.meta.url), args, [
        "--allow-ffi",
        "--allow-env",
        "--allow-read",
      ]),
      { stdin: "piped", stdout: "piped", stderr: "piped" },
    );
    this.#child = child;
    this.#writer = child.stdin.getWriter();
    this.#stderrDone = (async () => {
      for await (const line of readLines(child.stderr)) {
        this.#stderr = (this.#stderr + line + "\n").slice(-8192);
      }
    })();
    const ready = Promise.withResolvers<void>();
    this.#ready = ready.promise;
    this.#reading = this.#read(ready);
  }

  /**
   * Starts an agent in any namespace of any lab (e.g. the proxy's, on `up0`) and waits until
   * it is ready.
   */
  static async start(lab: LabShell, opts: HostStartOptions): Promise<Host> {
    const host = new Host(lab, opts);
    try {
      await host.#ready;
    } catch (e) {
      await host.close();
      throw e;
    }
    return host;
  }

  /**
   * Starts the agent of host j on LAN i (1-based) and waits until it is ready. It joins IPv4
   * groups on the host's IPv4 address and IPv6 groups on its `eth0`.
   */
  static onLan(lab: Lab, i: number, j: number, port?: number): Promise<Host> {
    return Host.start(lab, {
      ns: lab.ns.hosts[i - 1][j - 1],
      addr: lab.hostAddr(i, j),
      iface: "eth0",
      ...(lab.ipv6 ? { addr6: lab.hostAddr6(i, j) } : {}),
      port,
      name: `h${i}${j}`,
    });
  }

  /** Wall-clock ms in this process, comparable with the agents' `t`. */
  static now(): number {
    return wallNow();
  }

  async #read(readyState: { resolve: () => void; reject: (e: Error) => void }): Promise<void> {
    let ready = false;
    try {
      for await (const line of readLines(this.#child.stdout)) {
        const ev = parseEvent(line);
        if (ev === null) continue;
        if (ev.ev === "rx") {
          if (typeof ev.group !== "string") continue;
          let list = this.#rx.get(ev.group);
          if (!list) this.#rx.set(ev.group, list = []);
          list.push({ seq: Number(ev.seq), t: Number(ev.t), src: String(ev.src) });
          for (const w of this.#waiters) if (w.group === ev.group && w.check()) w.wake();
          continue;
        }
        this.events.push(ev);
        if (ev.ev === "ready") {
          ready = true;
          readyState.resolve();
        } else if (["joined", "left", "filtered", "pong", "error"].includes(ev.ev)) {
          const p = this.#pending.shift();
          if (!p) continue;
          if (ev.ev === "error") {
            p.reject(new Error(`${this.name}: "${ev.cmd} ${ev.group}" failed: ${ev.message}`));
          } else if (ev.ev !== p.expect) {
            p.reject(
              new Error(`${this.name}: expected "${p.expect}" from the agent, got "${ev.ev}"`),
            );
          } else p.resolve(ev);
        }
      }
    } finally {
      this.#exited = true;
      await this.#stderrDone;
      const why = new Error(
        `${this.name}: host agent exited${ready ? "" : " before it was ready"}` +
          (this.#stderr.trim() ? `: ${this.#stderr.trim()}` : ""),
      );
      for (const p of this.#pending.splice(0)) p.reject(why);
      for (const w of this.#waiters) w.wake();
      if (!ready) readyState.reject(why);
    }
  }

  async #command(line: string, expect: string): Promise<JsonEvent> {
    if (this.#exited || this.#closing) throw new Error(`${this.name}: host agent is not running`);
    const done = new Promise<JsonEvent>((resolve, reject) => {
      this.#pending.push({ expect, resolve, reject });
    });
    await this.#writer.write(new TextEncoder().encode(line + "\n"));
    return await done;
  }

  /**
   * Joins a group (IPv4 or IPv6) on the host's interface; resolves with the wall-clock ms of
   * the join.
   */
  async join(group: string): Promise<number> {
    return Number((await this.#command(`join ${group}`, "joined")).t);
  }

  /** Leaves a group; resolves with the wall-clock ms of the leave. */
  async leave(group: string): Promise<number> {
    return Number((await this.#command(`leave ${group}`, "left")).t);
  }

  /**
   * Changes one source of a group's membership as a stock IGMPv3/MLDv2 host does (see
   * {@link SourceOp}); resolves with the wall-clock ms of the call.
   *
   * @example
   * ```ts
   * await h11.source("join-source", "232.1.1.1", "10.0.0.2"); // INCLUDE {10.0.0.2}
   * await h12.join("239.1.3.1");
   * await h12.source("block", "239.1.3.1", "10.0.0.3"); // EXCLUDE {10.0.0.3}
   * ```
   */
  async source(op: SourceOp, group: string, source: string): Promise<number> {
    return Number((await this.#command(`${op} ${group} ${source}`, "filtered")).t);
  }

  /** Round trip to the agent: every earlier output line has been processed when it resolves. */
  async sync(): Promise<void> {
    await this.#command("ping", "pong");
  }

  /** Datagrams received for a group so far, optionally only those at or after `sinceT`. */
  received(group: string, sinceT?: number): Rx[] {
    const all = this.#rx.get(group) ?? [];
    return sinceT === undefined ? [...all] : all.filter((r) => r.t >= sinceT);
  }

  /** Forgets what was received (for every group, or one). */
  clear(group?: string): void {
    if (group === undefined) this.#rx.clear();
    else this.#rx.delete(group);
  }

  /**
   * Waits until the datagrams received for `group` satisfy `until` (or number `count`);
   * resolves with them, rejects after `timeoutMs` saying how many arrived.
   */
  waitFor(group: string, opts: WaitForOptions = {}): Promise<Rx[]> {
    const { since } = opts;
    const timeoutMs = scaledWait(opts.timeoutMs ?? 3000);
    const count = opts.count ?? 1;
    const until = opts.until ?? ((rx: Rx[]) => rx.length >= count);
    const check = () => until(this.received(group, since));
    if (check()) return Promise.resolve(this.received(group, since));
    return new Promise((resolve, reject) => {
      const waiter: Waiter = {
        group,
        check,
        wake: () => {
          clearTimeout(timer);
          this.#waiters.delete(waiter);
          if (check()) resolve(this.received(group, since));
          else reject(new Error(`${this.name}: host agent exited while waiting for ${group}`));
        },
      };
      const timer = setTimeout(() => {
        this.#waiters.delete(waiter);
        const n = this.received(group, since).length;
        reject(
          new Error(
            `${this.name}: timed out after ${timeoutMs} ms waiting for ${group} ` +
              `(${n} datagram${n === 1 ? "" : "s"} received)`,
          ),
        );
      }, timeoutMs);
      this.#waiters.add(waiter);
    });
  }

  /**
   * The UDP datagrams the host's kernel dropped so far because the agent's socket was full
   * (its namespace's receive-buffer errors): they reached the host, so whatever forwarded them
   * did its part. An agent waiting for a CPU (under emulation, while other processes start)
   * loses datagrams that way.
   */
  async receiveDrops(): Promise<UdpReceiveDrops> {
    const snmp = await this.#lab.readProc(this.ns, "/proc/net/snmp");
    // No snmp6 on a kernel without IPv6.
    const snmp6 = this.#lab.ipv6 ? await this.#lab.readProc(this.ns, "/proc/net/snmp6") : "";
    return parseUdpReceiveDrops(snmp + snmp6);
  }

  /**
   * Starts counting the host's own receive drops ({@link Host.receiveDrops}); the function it
   * resolves to tells how many of a family there were since, and says so when there were any.
   *
   * @example
   * ```ts
   * const dropped = await h11.watchDrops();
   * // ... a window with a stream ...
   * deepStrictEqual(gapsIfKeptUp(seqs, await dropped("ipv4")), [], "no datagram lost");
   * ```
   */
  async watchDrops(): Promise<(family: keyof UdpReceiveDrops) => Promise<number>> {
    const start = await this.receiveDrops();
    return async (family) => {
      const n = (await this.receiveDrops())[family] - start[family];
      if (n > 0) {
        console.log(
          `  ${this.name}: its own socket dropped ${n} ${family === "ipv4" ? "IPv4" : "IPv6"} ` +
            "datagrams (the agent fell behind)",
        );
      }
      return n;
    };
  }

  /**
   * Waits until no datagram of `group` has come for `quietMs` (default 300), what the agent had
   * queued included: the start for a check that nothing arrives any more (`settle`, `clear`,
   * then watch). Rejects after `timeoutMs` (default 10 s) when datagrams keep coming.
   */
  async settle(group: string, opts: { quietMs?: number; timeoutMs?: number } = {}): Promise<void> {
    const { quietMs = 300 } = opts;
    const timeoutMs = scaledWait(opts.timeoutMs ?? 10_000);
    const deadline = wallNow() + timeoutMs;
    await this.sync();
    let n = this.received(group).length;
    for (;;) {
      await new Promise((resolve) => setTimeout(resolve, quietMs));
      await this.sync();
      const now = this.received(group).length;
      if (now === n) return;
      if (wallNow() > deadline) {
        throw new Error(`${this.name}: ${group} still arrives after ${timeoutMs} ms`);
      }
      n = now;
    }
  }

  /** Waits `ms` and returns what arrived for `group` during that window. */
  async collect(group: string, ms: number): Promise<Rx[]> {
    const since = wallNow();
    await new Promise((resolve) => setTimeout(resolve, ms));
    if (!this.#exited) await this.sync();
    return this.received(group, since);
  }

  /** Stops the agent (`quit`, then SIGKILL after 2 s). Idempotent. */
  close(): Promise<void> {
    this.#closing ??= this.#shutdown();
    return this.#closing;
  }

  /** Same as {@link Host.close}, for `await using`. */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  async #shutdown(): Promise<void> {
    try {
      if (!this.#exited) await this.#writer.write(new TextEncoder().encode("quit\n"));
    } catch {
      // The agent is gone already.
    }
    try {
      await this.#writer.close();
    } catch {
      // Already closed.
    }
    let timer: ReturnType<typeof setTimeout> | undefined;
    const exited = await Promise.race([
      this.#child.status.then(() => true),
      new Promise<boolean>((resolve) => timer = setTimeout(() => resolve(false), 2000)),
    ]);
    clearTimeout(timer);
    if (!exited) {
      try {
        this.#child.kill("SIGKILL");
      } catch {
        // Exited meanwhile.
      }
    }
    await this.#child.status;
    await this.#reading;
  }
}
