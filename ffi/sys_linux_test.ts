import { deepStrictEqual, equal } from "node:assert/strict";
import { FakeLibc } from "../tests/fakes/fake_libc.ts";
import {
  AF_INET,
  AF_INET6,
  AF_NETLINK,
  IPPROTO_IP,
  IPPROTO_IPV6,
  MRT6_DONE,
  MRT_DONE,
  POLLIN,
} from "./linux_constants.ts";
import { POLLFD, SIZEOF_POLLFD } from "./poll.ts";
import { LinuxSys } from "./sys_linux.ts";

/** A fake whose sockets are 7 (IPv4 routing), 8 (IPv6 routing), 9 (netlink); eventfd 5. */
function fakeKernel(): FakeLibc {
  const fds: Record<number, number> = { [AF_INET]: 7, [AF_INET6]: 8, [AF_NETLINK]: 9 };
  return new FakeLibc().on("socket", (domain: number) => fds[domain]).on("eventfd", 5);
}

/** The entries of a poll set as [fd, events]. */
function pollEntries(pollfds: Uint8Array): number[][] {
  const v = new DataView(pollfds.buffer);
  const out: number[][] = [];
  for (let at = 0; at < pollfds.length; at += SIZEOF_POLLFD) {
    out.push([v.getInt32(at + POLLFD.fd, true), v.getInt16(at + POLLFD.events, true)]);
  }
  return out;
}

Deno.test("LinuxSys.wait: returns at once, polling nothing, while no routing socket is open", async () => {
  const fake = fakeKernel();
  const sys = new LinuxSys(fake.libc);
  await sys.wait(60_000);
  sys.wake();
  sys.close();
  deepStrictEqual(fake.calls.map((c) => c.name), [], "nothing opened, polled, written or closed");
});

Deno.test("LinuxSys: the eventfd opens with the first routing socket; wait polls it and the others", async () => {
  const fake = fakeKernel();
  const sys = new LinuxSys(fake.libc);
  sys.ipv4.init();
  sys.ipv6.init();
  sys.watchInterfaces();
  equal(fake.callsOf("eventfd").length, 1, "one eventfd for both ports");
  await sys.wait(10.2);
  const [[pollfds, nfds, timeout]] = fake.callsOf("poll");
  deepStrictEqual(pollEntries(pollfds as Uint8Array), [
    [5, POLLIN],
    [7, POLLIN],
    [8, POLLIN],
    [9, POLLIN],
  ]);
  deepStrictEqual([nfds, timeout], [4n, 11], "every entry; the timeout rounded up to a ms");
  deepStrictEqual(fake.callsOf("read"), [[5, new Uint8Array(8), 8n]], "the eventfd is drained");
  sys.wake();
  deepStrictEqual(fake.callsOf("write"), [[5, new Uint8Array([1, 0, 0, 0, 0, 0, 0, 0]), 8n]]);
});

Deno.test("LinuxSys.wait: a port not open and no watch are left out of the poll set", async () => {
  const fake = fakeKernel();
  const sys = new LinuxSys(fake.libc);
  sys.ipv6.init();
  await sys.wait(0);
  const [[pollfds]] = fake.callsOf("poll");
  deepStrictEqual(pollEntries(pollfds as Uint8Array), [[5, POLLIN], [-1, 0], [8, POLLIN], [-1, 0]]);
});

Deno.test("LinuxSys.close: the watch, both tables (MRT6_DONE, MRT_DONE) and the eventfd", () => {
  const fake = fakeKernel();
  const sys = new LinuxSys(fake.libc);
  sys.ipv4.init();
  sys.ipv6.init();
  sys.watchInterfaces();
  fake.calls.length = 0;
  sys.close();
  const done = fake.callsOf("setsockopt").map(([fd, level, option]) => [fd, level, option]);
  deepStrictEqual(done, [[8, IPPROTO_IPV6, MRT6_DONE], [7, IPPROTO_IP, MRT_DONE]]);
  deepStrictEqual(fake.callsOf("close"), [[9], [8], [7], [5]]);
  equal(sys.ipv4.fd, -1);
  equal(sys.ipv6.fd, -1);
});
