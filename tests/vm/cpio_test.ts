import { deepStrictEqual, equal, throws } from "node:assert/strict";
import { encodeCpio } from "./cpio.ts";

const text = new TextDecoder();

/** Reads back the members of a newc archive: name, mode, rdev and data. */
function decode(bytes: Uint8Array) {
  const out: { name: string; mode: number; rdev: [number, number]; data: string }[] = [];
  let at = 0;
  for (;;) {
    const head = text.decode(bytes.subarray(at, at + 110));
    equal(head.slice(0, 6), "070701", `magic at ${at}`);
    const field = (k: number) => parseInt(head.slice(6 + 8 * k, 14 + 8 * k), 16);
    const [mode, size, rdevMajor, rdevMinor, nameSize] = [1, 6, 9, 10, 11].map(field);
    const name = text.decode(bytes.subarray(at + 110, at + 110 + nameSize - 1));
    equal(bytes[at + 110 + nameSize - 1], 0, "name ends with NUL");
    at += 110 + nameSize;
    at += (4 - at % 4) % 4;
    const data = text.decode(bytes.subarray(at, at + size));
    at += size;
    at += (4 - at % 4) % 4;
    if (name === "TRAILER!!!") break;
    out.push({ name, mode, rdev: [rdevMajor, rdevMinor], data });
  }
  equal(at, bytes.length, "nothing after the trailer");
  return out;
}

Deno.test("encodeCpio writes directories, files, symlinks and devices the kernel can unpack", () => {
  const archive = encodeCpio([
    { kind: "dir", path: "bin", mode: 0o755 },
    { kind: "file", path: "bin/init", mode: 0o755, data: new TextEncoder().encode("#!/bin/sh\n") },
    { kind: "symlink", path: "bin/sh", target: "busybox" },
    { kind: "char", path: "console", mode: 0o600, major: 5, minor: 1 },
  ]);
  equal(archive.length % 4, 0);
  deepStrictEqual(decode(archive), [
    { name: "bin", mode: 0o040755, rdev: [0, 0], data: "" },
    { name: "bin/init", mode: 0o100755, rdev: [0, 0], data: "#!/bin/sh\n" },
    { name: "bin/sh", mode: 0o120777, rdev: [0, 0], data: "busybox" },
    { name: "console", mode: 0o020600, rdev: [5, 1], data: "" },
  ]);
});

Deno.test("encodeCpio: the first header, field by field", () => {
  const archive = encodeCpio([{ kind: "dir", path: "d", mode: 0o700 }]);
  equal(
    text.decode(archive.subarray(0, 110)),
    "070701" + // magic
      "00000001" + // ino
      "000041C0" + // mode: S_IFDIR | 0700
      "00000000" + // uid
      "00000000" + // gid
      "00000002" + // nlink
      "00000000" + // mtime
      "00000000" + // filesize
      "00000000" + // devmajor
      "00000000" + // devminor
      "00000000" + // rdevmajor
      "00000000" + // rdevminor
      "00000002" + // namesize: "d" and its NUL
      "00000000", // check
  );
});

Deno.test("encodeCpio: an empty archive is only the trailer", () => {
  deepStrictEqual(decode(encodeCpio([])), []);
});

Deno.test("encodeCpio refuses absolute paths and ..", () => {
  throws(() => encodeCpio([{ kind: "dir", path: "/bin", mode: 0o755 }]), /bad path "\/bin"/);
  throws(() => encodeCpio([{ kind: "dir", path: "a/../b", mode: 0o755 }]), /bad path/);
});
