import { equal } from "node:assert/strict";
import { directoryOf, normalizePath } from "./config_dirs.ts";

Deno.test("normalizePath: absolute against the working directory, dots resolved by name", () => {
  equal(normalizePath("/etc/mcast-proxy.conf"), "/etc/mcast-proxy.conf");
  equal(normalizePath("conf/x.conf", "/root/work"), "/root/work/conf/x.conf");
  equal(normalizePath("../etc//./x.conf", "/root"), "/etc/x.conf");
  equal(normalizePath("../../..", "/a"), "/");
});

Deno.test("directoryOf: the directory part, / at the top", () => {
  equal(directoryOf("/etc/mcast-proxy.conf"), "/etc");
  equal(directoryOf("/x.conf"), "/");
  equal(directoryOf("/a/b/c"), "/a/b");
});
