/**
 * A fake OS port for unit tests, of the real one's shape: a port per family and the interface
 * list, its changes and the wait they share. The fake is its own IPv4 port (`ipv4` is itself),
 * so that tests read IPv4 kernel state and calls at the top (`sys.vifs`, `sys.calls`); the IPv6
 * port is `ipv6`.
 *
 * @module
 */

import type { Sys, SystemInterface } from "../../src/runtime/sys.ts";
import { FakeIpv4Port, FakeSysError } from "./fake_ipv4_port.ts";
import { FakeIpv6Port } from "./fake_ipv6_port.ts";

export { type FakeCall, FakeIpv4Port, FakeSysError } from "./fake_ipv4_port.ts";
export { type FakeCall6, FakeIpv6Port, type Received6 } from "./fake_ipv6_port.ts";

/** The fake. Kernel state (VIFs, MFC, memberships) is modelled so tests can check leftovers. */
export class FakeSys extends FakeIpv4Port implements Sys {
  /** The IPv4 port: the fake itself. */
  readonly ipv4: FakeIpv4Port = this;
  /** The IPv6 port. */
  readonly ipv6: FakeIpv6Port = new FakeIpv6Port(() => this.#wakeup?.());
  /** Number of `wake()` calls. */
  wakes = 0;
  /** Whether `watchInterfaces()` was called (and `close()` not since). */
  watching = false;
  /** Number of `interfaces()` calls. */
  interfaceScans = 0;
  #changed = false;
  #wakeup: (() => void) | undefined;

  /** Builds the fake with an interface list; {@link setInterfaces} changes it. */
  constructor(public systemInterfaces: SystemInterface[]) {
    super();
    this.delivered = () => this.#wakeup?.();
  }

  /** The current interface list (or fails as configured with `interfaces`). */
  interfaces(): SystemInterface[] {
    this.interfaceScans++;
    this.maybeFail("interfaces");
    return this.systemInterfaces;
  }

  /**
   * Replaces the interface list, as the system would when links or addresses change. Unless
   * `notify` is false, a watching daemon is told (`interfacesChanged()`) and woken; with
   * `notify: false` only a periodic look finds the change.
   */
  setInterfaces(list: SystemInterface[], opts: { notify?: boolean } = {}): void {
    this.systemInterfaces = list;
    if (opts.notify === false || !this.watching) return;
    this.#changed = true;
    this.#wakeup?.();
  }

  /** Starts the watch (or fails as configured with `watchInterfaces`). */
  watchInterfaces(): void {
    this.calls.push({ op: "watchInterfaces" });
    this.maybeFail("watchInterfaces");
    this.watching = true;
  }

  /** Whether {@link setInterfaces} notified since the last call (or fails as configured). */
  interfacesChanged(): boolean {
    const code = this.failures.get("interfacesChanged");
    if (code !== undefined) {
      this.watching = false;
      throw new FakeSysError("interfacesChanged", code);
    }
    const changed = this.#changed;
    this.#changed = false;
    return changed;
  }

  /** Releases everything, as closing the real sockets does. */
  close(): void {
    this.calls.push({ op: "close" });
    this.ipv6.release();
    this.release();
    this.watching = false;
  }

  /**
   * Resolves on `wake()`, when a message is queued or interfaces changed, or after `timeoutMs`
   * (real time, at most 50 ms).
   */
  wait(timeoutMs: number): Promise<void> {
    if (this.inbox.length > 0 || this.ipv6.inbox.length > 0 || this.#changed) {
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.#wakeup = undefined;
        resolve();
      }, Math.min(timeoutMs, 50));
      this.#wakeup = () => {
        clearTimeout(timer);
        this.#wakeup = undefined;
        resolve();
      };
    });
  }

  /** Wakes a pending wait. */
  wake(): void {
    this.wakes++;
    this.#wakeup?.();
  }
}
