/**
 * The clients of a control socket and the bytes queued for them. Each client's replies are
 * written in order, as fast as it reads them; what it has not read yet is bounded, and so is what
 * all clients together have not read: past that bound no request is answered until the bytes go
 * down, and the clients that do not read are dropped. Idle clients are dropped too. The bounds
 * are {@link ClientLimits}; `control_load.ts` decides whom they drop.
 *
 * @module
 */

import { messageOf } from "../log.ts";
import { type ClientLoad, idleAt, mostStalled, nextStallAt } from "./control_load.ts";
import { LineReader, MAX_REQUEST_BYTES } from "./control_protocol.ts";

/**
 * One connection as the handler sees it: a key that is the same for every request of the
 * connection and for no other (to keep what is per connection in a `WeakMap`).
 */
export interface ControlSession {
  /** Its number, in the order the connections came. */
  readonly id: number;
}

/** The bounds on clients (`ControlServerOptions` tells each). */
export interface ClientLimits {
  /** Unsent bytes a client may hold when a new reply comes. */
  maxPendingBytes: number;
  /** Unsent bytes of all clients together past which no request is answered. */
  maxTotalPendingBytes: number;
  /** How long unsent bytes stay untouched before their client counts as not reading (ms). */
  stallMs: number;
  /** How long a client may stay idle (ms). */
  idleMs: number;
  /** Logs a client's trouble. */
  log: (level: "debug", message: string) => void;
}

/** One client; its times are `performance.now` ms. */
export interface Client extends ClientLoad {
  readonly conn: Deno.UnixConn;
  readonly session: ControlSession;
  /** Its request lines. */
  readonly lines: LineReader;
  /** Replies not written yet. */
  queue: Uint8Array[];
  pending: number;
  movedAt: number;
  activeAt: number;
  busy: boolean;
  streaming: boolean;
  /** Wakes its reader waiting for its unsent bytes to go down (set while it waits). */
  moved: (() => void) | undefined;
  writing: boolean;
  /** It shut its side: it is closed once its queue is written. */
  ending: boolean;
  closed: boolean;
  /** Stops the client's stream while it streams: it sends no more requests then. */
  stopStream: (() => void) | undefined;
  /** Checks, when due, whether it is idle. */
  idleTimer: ReturnType<typeof setTimeout> | undefined;
}

/** The clients of one socket: {@link add} each, {@link dropAll} at the end. */
export class ControlClients {
  readonly #limits: ClientLimits;
  readonly #clients = new Set<Client>();
  /** Unsent bytes of all clients. */
  #unsent = 0;
  #sessions = 0;
  #closed = false;
  /** Resolves when the unsent bytes are within their bound (set while a request waits). */
  #room: Promise<void> | undefined;
  #openRoom: (() => void) | undefined;
  /** Drops a client that does not read while requests wait for room (set meanwhile). */
  #roomTimer: ReturnType<typeof setTimeout> | undefined;

  /** Clients bound by `limits`. */
  constructor(limits: ClientLimits) {
    this.#limits = limits;
  }

  /** Clients connected now. */
  get size(): number {
    return this.#clients.size;
  }

  /** Clients streaming (`monitor`) now. */
  get streaming(): number {
    let n = 0;
    for (const c of this.#clients) if (c.streaming) n++;
    return n;
  }

  /** Bytes of all clients not written yet. */
  get unsent(): number {
    return this.#unsent;
  }

  /** Takes a new connection on: its client, watched for idleness from now. */
  add(conn: Deno.UnixConn): Client {
    const now = performance.now();
    const c: Client = {
      conn,
      session: { id: ++this.#sessions },
      lines: new LineReader(MAX_REQUEST_BYTES),
      queue: [],
      pending: 0,
      movedAt: now,
      activeAt: now,
      busy: false,
      streaming: false,
      moved: undefined,
      writing: false,
      ending: false,
      closed: false,
      stopStream: undefined,
      idleTimer: undefined,
    };
    this.#clients.add(c);
    this.#watchIdle(c, this.#limits.idleMs);
    return c;
  }

  /** Drops every client, and lets no request wait any more. */
  dropAll(): void {
    this.#closed = true;
    for (const c of this.#clients) this.drop(c);
    this.#checkRoom();
  }

  /**
   * Whether a client's next request may be answered now: its own unsent bytes are within their
   * bound, and so are all clients'. Check it and answer in the same turn of the event loop.
   */
  fits(c: Client): boolean {
    return c.pending <= this.#limits.maxPendingBytes &&
      this.#unsent <= this.#limits.maxTotalPendingBytes;
  }

  /**
   * Waits for what holds a client's next request back: its own unsent bytes to go down (it is
   * dropped when they do not move: it does not read), or all clients' (meanwhile those that do
   * not read are dropped). Then {@link fits} may hold again, or it may not: others took their
   * turn first.
   */
  async wait(c: Client): Promise<void> {
    if (c.pending <= this.#limits.maxPendingBytes) return this.#waitForRoom();
    if (!(await this.#drained(c)) && !c.closed) this.#dropUnread(c);
  }

  /**
   * Queues bytes for a client. A client that holds more than its share unsent when they come is
   * dropped instead; when all clients together hold too much, those that do not read are.
   */
  send(c: Client, bytes: Uint8Array): void {
    if (c.closed) return;
    if (c.pending > this.#limits.maxPendingBytes) {
      this.#dropUnread(c);
      return;
    }
    if (c.pending === 0) c.movedAt = performance.now();
    c.pending += bytes.length;
    this.#unsent += bytes.length;
    c.queue.push(bytes);
    if (!c.writing) this.#flush(c);
    this.#shedStalled();
  }

  /**
   * The client shut its side (or went): it gets what is queued for it, then it is closed. Its
   * stream, if any, ends.
   */
  end(c: Client): void {
    c.ending = true;
    if (c.streaming) {
      c.streaming = false;
      const stop = c.stopStream;
      c.stopStream = undefined;
      stop?.();
    }
    if (c.queue.length === 0) this.drop(c);
  }

  /** Closes a client's connection, stops its stream and forgets its unsent bytes. */
  drop(c: Client): void {
    if (c.closed) return;
    c.closed = true;
    c.stopStream?.();
    c.stopStream = undefined;
    c.moved?.();
    clearTimeout(c.idleTimer);
    this.#clients.delete(c);
    this.#unsent -= c.pending;
    c.pending = 0;
    c.queue.length = 0;
    this.#checkRoom();
    try {
      c.conn.close();
    } catch {
      // Closed already.
    }
  }

  /**
   * Waits until a client's unsent bytes are within its bound again: true then; false when they
   * stay untouched for {@link ClientLimits.stallMs} (it does not read) or it is gone.
   */
  async #drained(c: Client): Promise<boolean> {
    while (c.pending > this.#limits.maxPendingBytes && !c.closed) {
      const moved = await new Promise<boolean>((resolve) => {
        const timer = setTimeout(() => resolve(false), this.#limits.stallMs);
        c.moved = () => {
          clearTimeout(timer);
          resolve(true);
        };
      });
      c.moved = undefined;
      if (!moved) return false;
    }
    return !c.closed;
  }

  /**
   * While the unsent bytes of all clients are past their bound, drops the client with the most
   * of them among those whose bytes have not moved for {@link ClientLimits.stallMs}. Clients
   * that read keep theirs: their bytes are on their way.
   */
  #shedStalled(): void {
    const rule = { now: performance.now(), stallMs: this.#limits.stallMs };
    while (this.#unsent > this.#limits.maxTotalPendingBytes) {
      const worst = mostStalled(this.#clients, rule);
      if (worst === undefined) return;
      this.#dropUnread(worst);
    }
  }

  /**
   * Resolves once the unsent bytes of all clients are within their bound (or all are dropped).
   * Meanwhile a timer drops the clients that stop reading, as {@link #shedStalled}.
   */
  #waitForRoom(): Promise<void> {
    if (this.#room === undefined) {
      this.#room = new Promise((resolve) => this.#openRoom = resolve);
      this.#armRoomTimer();
    }
    return this.#room;
  }

  /** Sets the timer for the moment the next client may count as not reading. */
  #armRoomTimer(): void {
    const at = nextStallAt(this.#clients, this.#limits.stallMs);
    const delay = at === undefined ? this.#limits.stallMs : Math.max(1, at - performance.now());
    this.#roomTimer = setTimeout(() => {
      this.#roomTimer = undefined;
      this.#shedStalled();
      this.#checkRoom();
      if (this.#room !== undefined) this.#armRoomTimer();
    }, delay);
  }

  /** Lets the waiting requests go once there is room (called whenever unsent bytes go). */
  #checkRoom(): void {
    const open = this.#openRoom;
    if (open === undefined) return;
    if (this.#unsent > this.#limits.maxTotalPendingBytes && !this.#closed) return;
    this.#room = undefined;
    this.#openRoom = undefined;
    clearTimeout(this.#roomTimer);
    this.#roomTimer = undefined;
    open();
  }

  /**
   * Checks in `delay` ms whether a client is idle ({@link ClientLimits.idleMs}): drops it then,
   * or checks again when it may be.
   */
  #watchIdle(c: Client, delay: number): void {
    c.idleTimer = setTimeout(() => {
      c.idleTimer = undefined;
      if (c.closed) return;
      const at = idleAt(c, this.#limits.idleMs);
      const now = performance.now();
      if (at !== undefined && now >= at) {
        const s = Math.round((now - c.activeAt) / 1000);
        this.#limits.log("debug", `Control client dropped: idle for ${s} s`);
        this.drop(c);
        return;
      }
      this.#watchIdle(c, at === undefined ? this.#limits.idleMs : at - now);
    }, delay);
  }

  /** Writes a client's queue as fast as it reads; closes it after the last byte if it ended. */
  async #flush(c: Client): Promise<void> {
    c.writing = true;
    try {
      while (c.queue.length > 0 && !c.closed) {
        const head = c.queue[0];
        const n = await c.conn.write(head);
        if (c.closed) break;
        c.pending -= n;
        this.#unsent -= n;
        c.movedAt = c.activeAt = performance.now();
        c.moved?.();
        if (n < head.length) c.queue[0] = head.subarray(n);
        else c.queue.shift();
        this.#checkRoom();
      }
    } catch (err) {
      if (!c.closed) this.#limits.log("debug", `Control client write failed: ${messageOf(err)}`);
      this.drop(c);
    } finally {
      c.writing = false;
    }
    if (c.ending && c.queue.length === 0) this.drop(c); // all written: done with it
  }

  /** Drops a client that does not read its replies. */
  #dropUnread(c: Client): void {
    this.#limits.log("debug", `Control client dropped: ${c.pending} bytes unread`);
    this.drop(c);
  }
}
