/**
 * Takes the proxy's links away and puts them back while a lab runs, as an administrator would:
 * a LAN's downstream link (the veth `dnN` in the proxy, peer `rt0` on the LAN's bridge) or the
 * upstream link (`up0` in the proxy, peer `eth0` in the sender's namespace). A link put back
 * gets the lab's addresses again and the same bridge port, so the LAN's hosts are as before.
 *
 * @example
 * ```ts
 * await removeLanLink(lab, 3); // dn3 no longer exists
 * await addLanLink(lab, 3, { up: false }); // dn3 exists with 10.3.0.1/24, still down
 * await setLinkUp(lab, "dn3");
 * ```
 *
 * @module
 */

import { type Lab, SRC_ADDR, SRC_ADDR6, UPSTREAM_ADDR, UPSTREAM_ADDR6 } from "./lab.ts";

/** Options of {@link addLanLink} and {@link addUpstreamLink}. */
export interface AddLinkOptions {
  /** Bring the proxy's side up (default true); with false, call {@link setLinkUp} later. */
  up?: boolean;
}

/** Interface indexes for links made here: away from the ones the lab numbers from 10. */
const FIRST_INDEX = 200;

/**
 * Runs `ip` with `args` (and `stdin` as a batch, with `-batch -`); throws with its error and
 * the commands when it fails.
 */
export async function ip(args: string[], stdin?: string): Promise<void> {
  const child = new Deno.Command("ip", {
    args,
    stdin: stdin === undefined ? "null" : "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  if (stdin !== undefined) {
    const w = child.stdin.getWriter();
    await w.write(new TextEncoder().encode(stdin));
    await w.close();
  }
  const out = await child.output();
  if (out.code !== 0) {
    throw new Error(
      `ip ${args.join(" ")} exited ${out.code}: ${new TextDecoder().decode(out.stderr).trim()}` +
        (stdin === undefined
          ? ""
          : `\n  commands:\n    ${stdin.trim().split("\n").join("\n    ")}`),
    );
  }
}

function batch(ns: string, lines: string[]): Promise<void> {
  return ip(["-n", ns, "-batch", "-"], lines.join("\n") + "\n");
}

function checkLan(lab: Lab, i: number): void {
  if (!Number.isInteger(i) || i < 1 || i > lab.ns.lans.length) {
    throw new RangeError(`No LAN ${i} in this lab (it has ${lab.ns.lans.length})`);
  }
}

/** Deletes the proxy's link to LAN `i` (`dnI`, and with it its peer on the LAN's bridge). */
export async function removeLanLink(lab: Lab, i: number): Promise<void> {
  checkLan(lab, i);
  await ip(["-n", lab.ns.proxy, "link", "del", `dn${i}`]);
}

/**
 * Creates the proxy's link to LAN `i` again: `dnI` with 10.I.0.1/24, 2001:db8:I::1/64 (when the
 * lab has IPv6) and rp_filter off, its peer
 * `rt0` on the LAN's bridge, up. The proxy's side is brought up too unless `up` is false.
 */
export async function addLanLink(lab: Lab, i: number, opts: AddLinkOptions = {}): Promise<void> {
  checkLan(lab, i);
  const name = `dn${i}`;
  // Peers with different indexes: the kernel then treats the carrier change as urgent.
  const index = FIRST_INDEX + 2 * i;
  await addVeth(lab, { name, index, peer: "rt0", peerNs: lab.ns.lans[i - 1] });
  await batch(lab.ns.lans[i - 1], ["link set rt0 master br0", "link set rt0 up"]);
  await lab.sysctl(lab.ns.proxy, `net.ipv4.conf.${name}.rp_filter`, 0);
  await batch(lab.ns.proxy, [
    `addr add ${lab.addr.downstream[i - 1]}/24 dev ${name}`,
    ...(lab.ipv6 ? [`addr add ${lab.addr6.downstream[i - 1]}/64 dev ${name} nodad`] : []),
  ]);
  if (opts.up ?? true) await setLinkUp(lab, name);
}

/** Deletes the proxy's upstream link (`up0`, and with it the sender's `eth0`). */
export async function removeUpstreamLink(lab: Lab): Promise<void> {
  await ip(["-n", lab.ns.proxy, "link", "del", lab.ifaces.upstream]);
}

/**
 * Creates the upstream link again: `up0` with the proxy's upstream addresses and rp_filter off,
 * and the sender's `eth0` with its addresses and default routes, up. The proxy's side is brought
 * up too unless `up` is false.
 */
export async function addUpstreamLink(lab: Lab, opts: AddLinkOptions = {}): Promise<void> {
  const name = lab.ifaces.upstream;
  const index = FIRST_INDEX;
  await addVeth(lab, { name, index, peer: "eth0", peerNs: lab.ns.src });
  await lab.sysctl(lab.ns.proxy, `net.ipv4.conf.${name}.rp_filter`, 0);
  const v6 = (lines: string[]) => lab.ipv6 ? lines : [];
  await batch(lab.ns.proxy, [
    `addr add ${UPSTREAM_ADDR}/24 dev ${name}`,
    ...v6([`addr add ${UPSTREAM_ADDR6}/64 dev ${name} nodad`]),
  ]);
  await batch(lab.ns.src, [
    `addr add ${SRC_ADDR}/24 dev eth0`,
    ...v6([`addr add ${SRC_ADDR6}/64 dev eth0 nodad`]),
    "link set eth0 up",
    `route add default via ${UPSTREAM_ADDR}`,
    ...v6([`route add default via ${UPSTREAM_ADDR6}`]),
  ]);
  if (opts.up ?? true) await setLinkUp(lab, name);
}

/**
 * Creates a veth pair: `name` (interface index `index`) in the proxy namespace, `peer` (index
 * `index + 1`) in `peerNs`.
 */
async function addVeth(
  lab: Lab,
  link: { name: string; index: number; peer: string; peerNs: string },
): Promise<void> {
  await ip([
    ...["link", "add", link.name, "netns", lab.ns.proxy, "index", String(link.index)],
    ...["type", "veth", "peer", "name", link.peer, "netns", link.peerNs],
    ...["index", String(link.index + 1)],
  ]);
}

/** Brings a link of the proxy namespace up (`ip link set NAME up`). */
export async function setLinkUp(lab: Lab, name: string): Promise<void> {
  await ip(["-n", lab.ns.proxy, "link", "set", name, "up"]);
}
