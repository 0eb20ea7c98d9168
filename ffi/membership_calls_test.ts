import { deepStrictEqual, equal } from "node:assert/strict";
import { Errno } from "./errno.ts";
import type { Libc } from "./libc.ts";
import { libcMembershipCalls, SET_TRIES } from "./membership_calls.ts";

const ffi = (await Deno.permissions.query({ name: "ffi" })).state === "granted";
if (!ffi) {
  console.log("SKIPPED membership_calls tests: they need --allow-ffi (errno is read by pointer)");
}

/** A libc whose setsockopt fails with the errnos given, in turn, then succeeds. */
function scriptedLibc(errnos: number[]): { libc: Libc; calls: () => number } {
  const errno = new Int32Array(1);
  let calls = 0;
  const symbols = {
    setsockopt: () => {
      const e = errnos[calls++];
      if (e === undefined) return 0;
      errno[0] = e;
      return -1;
    },
    __errno_location: () => Deno.UnsafePointer.of(errno),
  };
  return { libc: { symbols } as unknown as Libc, calls: () => calls };
}

const AT = { ifindex: 2, group: 0xef010101 };
const IPV4 = { domain: 2, level: 0, address: (a: number) => a };

Deno.test({
  name: "membership calls: a join that fails with EINTR or EAGAIN is made again",
  ignore: !ffi,
  fn() {
    const { libc, calls } = scriptedLibc([Errno.EINTR, Errno.EAGAIN]);
    equal(libcMembershipCalls(libc, IPV4).join(3, AT), 0);
    equal(calls(), 3);
  },
});

Deno.test({
  name: "membership calls: other errors at once; EAGAIN for good after the last try",
  ignore: !ffi,
  fn() {
    const full = scriptedLibc([Errno.ENOBUFS]);
    deepStrictEqual([libcMembershipCalls(full.libc, IPV4).join(3, AT), full.calls()], [
      Errno.ENOBUFS,
      1,
    ]);
    const busy = scriptedLibc(Array(SET_TRIES).fill(Errno.EAGAIN));
    deepStrictEqual([libcMembershipCalls(busy.libc, IPV4).join(3, AT), busy.calls()], [
      Errno.EAGAIN,
      SET_TRIES,
    ]);
  },
});
