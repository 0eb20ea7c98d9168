import assert from "node:assert/strict";
import { type ConfigFs, configReloader, loadConfig } from "./config_file.ts";
import { formatDiagnostic } from "../../conf/config.ts";

/** An in-memory file system: path → [text, uid, mode]. */
function memoryFs(files: Record<string, [string, number, number]>, uid = 0): ConfigFs {
  const get = (path: string) => {
    const f = files[path];
    if (f === undefined) throw new Deno.errors.NotFound(path);
    return f;
  };
  return {
    stat: (path) => {
      const [, owner, mode] = get(path);
      return { isFile: true, uid: owner, mode };
    },
    readText: (path) => get(path)[0],
    realPath: (path) => path.replace(/\/\.\//g, "/"),
    uid: () => uid,
  };
}

Deno.test("loadConfig: a missing main file is one error", () => {
  assert.deepEqual(loadConfig("/etc/none.conf", {}, memoryFs({})), {
    error: 'cannot read configuration "/etc/none.conf": no such file',
  });
});

Deno.test("loadConfig applies the include rule and reads good includes", () => {
  const fs = memoryFs({
    "/etc/m.conf": [
      'interface em0 { upstream }\ninclude "ok.conf"\ninclude "open.conf"\ninclude "theirs.conf"\n',
      0,
      0o100644,
    ],
    "/etc/ok.conf": ["interface em1 { downstream }\n", 1000, 0o100600],
    "/etc/open.conf": ["interface em2 { downstream }\n", 0, 0o100666],
    "/etc/theirs.conf": ["interface em3 { downstream }\n", 1001, 0o100644],
  }, 1000);
  const result = loadConfig("/etc/m.conf", {}, fs);
  assert.ok(!("error" in result));
  assert.deepEqual(result.diagnostics.map(formatDiagnostic), [
    '/etc/m.conf:3:9: cannot include "/etc/open.conf": it is writable by its group or by ' +
    "others (mode 0666): run chmod go-w on it",
    '/etc/m.conf:4:9: cannot include "/etc/theirs.conf": it is owned by uid 1001, not by root ' +
    "or the user running mcast-proxy (uid 1000)",
  ]);
  // The files read: the ones a reload from the jail must reach again.
  assert.deepEqual(result.files, ["/etc/m.conf", "/etc/ok.conf"]);
});

Deno.test("loadConfig passes command-line macros", () => {
  const fs = memoryFs({
    "/etc/m.conf": [
      "t = 2\ninterface em0 { upstream }\ninterface em1 {\n\tthreshold $t\n}\n",
      0,
      0o100644,
    ],
  });
  const result = loadConfig("/etc/m.conf", { t: "7" }, fs);
  assert.ok(!("error" in result));
  assert.equal(result.config?.interfaces[1].threshold, 7);
});

/** A logger that keeps its warnings. */
function warnings(): { warn: (m: string) => void; lines: string[] } {
  const lines: string[] = [];
  return { warn: (m) => lines.push(m), lines };
}

Deno.test("configReloader reads the file again with the same macros, each time", () => {
  const files: Record<string, [string, number, number]> = {
    "/etc/m.conf": [
      "interface em0 { upstream }\ninterface em1 {\n\tthreshold $t\n}\n",
      0,
      0o100644,
    ],
  };
  const log = warnings();
  const reload = configReloader({
    path: "/etc/m.conf",
    macros: { t: "7" },
    fs: memoryFs(files),
    log,
  });
  assert.equal(reload()?.interfaces[1].threshold, 7);
  files["/etc/m.conf"][0] = files["/etc/m.conf"][0].replace("em1", "em2");
  assert.equal(reload()?.interfaces[1].name, "em2");
  assert.deepEqual(log.lines, []);
});

Deno.test("configReloader: a bad or missing file is warnings and no configuration", () => {
  const files: Record<string, [string, number, number]> = {
    "/etc/m.conf": ["interface em0 { upstrem }\n", 0, 0o100644],
  };
  const log = warnings();
  const reload = configReloader({ path: "/etc/m.conf", macros: {}, fs: memoryFs(files), log });
  assert.equal(reload(), undefined);
  assert.equal(log.lines.length, 2, log.lines.join("\n"));
  assert.ok(log.lines.every((l) => l.startsWith("/etc/m.conf:")), log.lines.join("\n"));
  log.lines.length = 0;
  const missing = configReloader({ path: "/etc/gone.conf", macros: {}, fs: memoryFs(files), log });
  assert.equal(missing(), undefined);
  assert.deepEqual(log.lines, [
    'Cannot reload: cannot read configuration "/etc/gone.conf": no such file',
  ]);
});

Deno.test("configReloader: in a jail, permission denied names the user who must read", () => {
  const denied: ConfigFs = {
    ...memoryFs({ "/etc/m.conf": ["interface em0 { upstream }\n", 0, 0o100600] }),
    readText: (path) => {
      throw new Deno.errors.PermissionDenied(path);
    },
  };
  const jailed = warnings();
  configReloader({ path: "/etc/m.conf", macros: {}, fs: denied, log: jailed, jailUser: "_mcp" })();
  assert.deepEqual(jailed.lines, [
    'Cannot reload: cannot read configuration "/etc/m.conf": permission denied',
    'The configuration is read as user "_mcp" after the start: make its files and their ' +
    "directories readable by that user",
  ]);
  const free = warnings();
  configReloader({ path: "/etc/m.conf", macros: {}, fs: denied, log: free })();
  assert.deepEqual(free.lines, [
    'Cannot reload: cannot read configuration "/etc/m.conf": permission denied',
  ]);
});
