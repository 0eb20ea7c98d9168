/**
 * `./run vm [--] COMMAND...`: runs a command of this checkout in the test VM, on Debian's
 * kernel, e.g. `./run vm deno test --allow-all tests/e2e/forwarding_test.ts` (`deno` is this
 * checkout's Deno), in the current directory, which is shared writable with the guest as the
 * checkout is. Exits with the command's status. Needs root.
 *
 * @module
 */

import { denoBin } from "../lab/lab.ts";
import { CHECKOUT, prepareVm, runInVm } from "./vm.ts";

const USAGE = "usage: ./run vm [--] COMMAND [ARG...]";

async function main(args: string[]): Promise<number> {
  const argv = args[0] === "--" ? args.slice(1) : args;
  if (argv.length === 0 || argv[0] === "-h" || argv[0] === "--help") {
    console.error(USAGE);
    return argv.length === 0 ? 2 : 0;
  }
  if (argv[0] === "deno") argv[0] = denoBin();
  const support = await prepareVm({ log: (m) => console.error(`setup: ${m}`) });
  if (!support.ok) {
    console.error(`Cannot start the test VM: ${support.reason}`);
    return 1;
  }
  const { vm } = support;
  console.error(
    `vm: ${vm.kernel.release} (${vm.kernel.package}), ${vm.accel.toUpperCase()}, ` +
      `${vm.cpus} vCPU, ${vm.memoryMiB} MiB`,
  );
  // The working directory is shared writable too when it is outside the checkout.
  const cwd = Deno.cwd();
  const inside = cwd === CHECKOUT || cwd.startsWith(`${CHECKOUT}/`);
  const r = await runInVm(vm, { argv, cwd, writable: inside ? [CHECKOUT] : [CHECKOUT, cwd] });
  if (r.error !== undefined) console.error(r.error);
  console.error(`vm: exit ${r.code} after ${r.seconds.toFixed(1)} s`);
  return r.code;
}

if (import.meta.main) Deno.exit(await main(Deno.args));
