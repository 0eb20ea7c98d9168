import assert from "node:assert/strict";
import { includeFileProblem } from "./include.ts";

Deno.test("includeFileProblem accepts files of root or of the running user, not writable by others", () => {
  assert.equal(includeFileProblem({ isFile: true, uid: 0, mode: 0o100644 }, 1000), undefined);
  assert.equal(includeFileProblem({ isFile: true, uid: 1000, mode: 0o100600 }, 1000), undefined);
  assert.equal(includeFileProblem({ isFile: true, uid: 0, mode: 0o100444 }, 0), undefined);
});

Deno.test("includeFileProblem refuses other owners", () => {
  assert.equal(
    includeFileProblem({ isFile: true, uid: 1001, mode: 0o100644 }, 1000),
    "it is owned by uid 1001, not by root or the user running mcast-proxy (uid 1000)",
  );
});

Deno.test("includeFileProblem refuses group- or world-writable files", () => {
  assert.equal(
    includeFileProblem({ isFile: true, uid: 0, mode: 0o100664 }, 0),
    "it is writable by its group or by others (mode 0664): run chmod go-w on it",
  );
  assert.equal(
    includeFileProblem({ isFile: true, uid: 0, mode: 0o100646 }, 0),
    "it is writable by its group or by others (mode 0646): run chmod go-w on it",
  );
});

Deno.test("includeFileProblem refuses what is not a regular file", () => {
  assert.equal(
    includeFileProblem({ isFile: false, uid: 0, mode: 0o40755 }, 0),
    "it is not a regular file",
  );
});

Deno.test("includeFileProblem skips what the system does not report", () => {
  assert.equal(includeFileProblem({ isFile: true, uid: null, mode: null }, null), undefined);
});
