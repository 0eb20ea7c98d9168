/**
 * A writer for the cpio "newc" format (`070701`), the format the Linux kernel unpacks as an
 * initramfs (Documentation/driver-api/early-userspace/buffer-format.rst). Pure: entries in, one
 * archive out, uncompressed (the kernel takes it as is).
 *
 * Each entry is a 110-byte ASCII header (magic and 13 fields of 8 hex digits), the name with its
 * NUL, padded to a multiple of 4 bytes, then the data, padded the same way. The archive ends
 * with an entry named `TRAILER!!!`.
 *
 * @example
 * ```ts
 * const archive = encodeCpio([
 *   { kind: "dir", path: "bin", mode: 0o755 },
 *   { kind: "file", path: "init", mode: 0o755, data: new TextEncoder().encode("#!/bin/sh\n") },
 *   { kind: "char", path: "dev/console", mode: 0o600, major: 5, minor: 1 },
 * ]);
 * ```
 *
 * @module
 */

/** One member of an archive. Paths are relative (`bin/busybox`), parents listed first. */
export type CpioEntry =
  | { kind: "dir"; path: string; mode: number }
  | { kind: "file"; path: string; mode: number; data: Uint8Array }
  | { kind: "symlink"; path: string; target: string }
  | { kind: "char"; path: string; mode: number; major: number; minor: number };

const S_IFDIR = 0o040000;
const S_IFREG = 0o100000;
const S_IFLNK = 0o120000;
const S_IFCHR = 0o020000;
const MAGIC = "070701";
const HEADER_SIZE = 110;
const TRAILER = "TRAILER!!!";

const encoder = new TextEncoder();

function hex8(n: number): string {
  if (!Number.isInteger(n) || n < 0 || n > 0xffffffff) {
    throw new RangeError(`cpio: field out of range: ${n}`);
  }
  return n.toString(16).toUpperCase().padStart(8, "0");
}

function pad4(n: number): number {
  return (4 - (n % 4)) % 4;
}

interface Member {
  name: string;
  mode: number;
  data: Uint8Array;
  nlink: number;
  rdevMajor: number;
  rdevMinor: number;
}

function member(entry: CpioEntry): Member {
  if (entry.path === "" || entry.path.startsWith("/") || entry.path.split("/").includes("..")) {
    throw new Error(`cpio: bad path "${entry.path}" (relative, without "..")`);
  }
  const base = { name: entry.path, nlink: 1, rdevMajor: 0, rdevMinor: 0 };
  switch (entry.kind) {
    case "dir":
      return { ...base, mode: S_IFDIR | (entry.mode & 0o7777), data: new Uint8Array(), nlink: 2 };
    case "file":
      return { ...base, mode: S_IFREG | (entry.mode & 0o7777), data: entry.data };
    case "symlink":
      return { ...base, mode: S_IFLNK | 0o777, data: encoder.encode(entry.target) };
    case "char":
      return {
        ...base,
        mode: S_IFCHR | (entry.mode & 0o7777),
        data: new Uint8Array(),
        rdevMajor: entry.major,
        rdevMinor: entry.minor,
      };
  }
}

function header(m: Member, ino: number, nameSize: number): string {
  // ino, mode, uid, gid, nlink, mtime, filesize, devmajor, devminor, rdevmajor, rdevminor,
  // namesize, check. Owner root, mtime 0: the same entries give the same bytes.
  return MAGIC + [
    ino,
    m.mode,
    0,
    0,
    m.nlink,
    0,
    m.data.length,
    0,
    0,
    m.rdevMajor,
    m.rdevMinor,
    nameSize,
    0,
  ].map(hex8).join("");
}

/** Encodes entries, in order, as one newc archive with its trailer. */
export function encodeCpio(entries: readonly CpioEntry[]): Uint8Array {
  const members = entries.map(member);
  members.push({
    name: TRAILER,
    mode: 0,
    data: new Uint8Array(),
    nlink: 1,
    rdevMajor: 0,
    rdevMinor: 0,
  });
  const parts: Uint8Array[] = [];
  let size = 0;
  members.forEach((m, i) => {
    const name = encoder.encode(m.name + "\0");
    const ino = m.name === TRAILER ? 0 : i + 1;
    const head = encoder.encode(header(m, ino, name.length));
    for (
      const part of [
        head,
        name,
        new Uint8Array(pad4(HEADER_SIZE + name.length)),
        m.data,
        new Uint8Array(pad4(m.data.length)),
      ]
    ) {
      parts.push(part);
      size += part.length;
    }
  });
  const out = new Uint8Array(size);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}
