/**
 * How much longer the tests' waits may take on this machine. Under software emulation (the test
 * VM without KVM) processes start and run 10–20 times slower, so a wait for a stream, a log line
 * or a kernel entry gets its timeout multiplied by `MCAST_PROXY_WAIT_SCALE`, which the test VM
 * sets; elsewhere it is 1. Only the timeouts of waits for state are scaled: protocol timings the
 * tests measure are asserted as they are.
 *
 * @module
 */

/** The environment variable the test VM sets. */
export const WAIT_SCALE_ENV = "MCAST_PROXY_WAIT_SCALE";

let scale: number | undefined;

/** The factor: the variable's value when it is a number from 1 to 20, else 1. */
export function waitScale(): number {
  if (scale === undefined) {
    let value: string | undefined;
    try {
      value = Deno.env.get(WAIT_SCALE_ENV);
    } catch {
      value = undefined; // no permission to read it: unit tests, nothing to scale
    }
    const n = Number(value);
    scale = value !== undefined && n >= 1 && n <= 20 ? n : 1;
  }
  return scale;
}

/** A wait's timeout, scaled for this machine. */
export function scaledWait(ms: number): number {
  return ms * waitScale();
}
