import assert from "node:assert/strict";
import { formatDiagnostic } from "./config.ts";
import { type IncludedFile, MAX_INCLUDE_DEPTH, parseConfig, resolveIncludePath } from "./parser.ts";

/** Parses `main` with included files served from `files` by resolved path. */
function parseWith(main: string, files: Record<string, string>) {
  const opened: string[] = [];
  const include = (path: string): IncludedFile => {
    opened.push(path);
    const text = files[path];
    return text === undefined ? { error: "no such file" } : { text };
  };
  const result = parseConfig(main, { file: "/etc/mcast-proxy.conf", include });
  return { ...result, opened, messages: result.diagnostics.map(formatDiagnostic) };
}

Deno.test("resolveIncludePath: absolute as is, relative to the including file's directory", () => {
  assert.equal(resolveIncludePath("/etc/lans.conf", "/srv/a.conf"), "/etc/lans.conf");
  assert.equal(resolveIncludePath("lans.conf", "/etc/mcast-proxy.conf"), "/etc/lans.conf");
  assert.equal(resolveIncludePath("d/lans.conf", "conf/main.conf"), "conf/d/lans.conf");
  assert.equal(resolveIncludePath("lans.conf", "main.conf"), "lans.conf");
});

Deno.test("include: the included statements take effect in place", () => {
  const { config, messages, opened } = parseWith(
    'lan = "em1"\ninclude "lans.conf"\ninterface em0 { upstream }\n',
    { "/etc/lans.conf": "interface $lan { downstream }\nrobustness 3\n" },
  );
  assert.deepEqual(messages, []);
  assert.deepEqual(opened, ["/etc/lans.conf"]);
  assert.deepEqual(config?.interfaces.map((i) => [i.name, i.role]), [
    ["em1", "downstream"],
    ["em0", "upstream"],
  ]);
  assert.equal(config?.timers.robustness, 3);
});

Deno.test("include: on the last line without a newline, and at the end of an included file", () => {
  const { config, messages } = parseWith('interface em0 { upstream }\ninclude "a.conf"', {
    "/etc/a.conf": 'interface em1 { downstream }\ninclude "b.conf"',
    "/etc/b.conf": "interface em2 { downstream }",
  });
  assert.deepEqual(messages, []);
  assert.deepEqual(config?.interfaces.map((i) => i.name), ["em0", "em1", "em2"]);
});

Deno.test("include: errors of an included file carry its name and lines", () => {
  const { config, messages } = parseWith(
    'interface em0 { upstream }\ninclude "lans.conf"\nthreshold 3\n',
    { "/etc/lans.conf": "# LANs\ninterface em1 {\n\tdownstrem\n}\n" },
  );
  assert.equal(config, undefined);
  assert.deepEqual(messages, [
    '/etc/mcast-proxy.conf:3:1: "threshold" is only valid inside an interface block',
    '/etc/lans.conf:3:2: unknown keyword "downstrem": did you mean "downstream"?',
  ]);
});

Deno.test("include: loops and nesting deeper than the limit are errors", () => {
  const loop = parseWith('interface em0 { upstream }\ninclude "a.conf"\n', {
    "/etc/a.conf": 'include "b.conf"\n',
    "/etc/b.conf": 'include "a.conf"\n',
  });
  assert.deepEqual(loop.messages, [
    '/etc/b.conf:1:9: cannot include "a.conf": "/etc/a.conf" is already being read (a loop)',
  ]);

  const files: Record<string, string> = {};
  for (let i = 0; i <= MAX_INCLUDE_DEPTH; i++) {
    files[`/etc/${i}.conf`] = `include "${i + 1}.conf"\n`;
  }
  const deep = parseWith('interface em0 { upstream }\ninclude "0.conf"\n', files);
  assert.deepEqual(deep.messages, [
    `/etc/${MAX_INCLUDE_DEPTH - 1}.conf:1:9: cannot include "${MAX_INCLUDE_DEPTH}.conf": ` +
    `includes nest more than ${MAX_INCLUDE_DEPTH} deep`,
  ]);
});

Deno.test("include: a file that cannot be read is one error, and parsing goes on", () => {
  const { messages } = parseWith('include "gone.conf"\ninterface em0 { upstrem }\n', {});
  assert.deepEqual(messages, [
    '/etc/mcast-proxy.conf:1:9: cannot include "/etc/gone.conf": no such file',
    '/etc/mcast-proxy.conf:2:17: unknown keyword "upstrem": did you mean "upstream"?',
    "/etc/mcast-proxy.conf:3:1: no upstream interface configured",
  ]);
});

Deno.test("include: a loop through files without a final newline is still a loop", () => {
  const { messages } = parseWith('interface em0 { upstream }\ninclude "a.conf"\n', {
    "/etc/a.conf": 'include "b.conf"',
    "/etc/b.conf": 'include "a.conf"',
  });
  assert.deepEqual(messages, [
    '/etc/b.conf:1:9: cannot include "a.conf": "/etc/a.conf" is already being read (a loop)',
  ]);
});

Deno.test("include: a loop through another spelling of a file is found by its identity", () => {
  const include = (path: string): IncludedFile =>
    path === "/etc/./m.conf" || path === "/etc/m.conf"
      ? { text: 'include "./m.conf"\n', id: "/etc/m.conf" }
      : { error: "no such file" };
  const { diagnostics } = parseConfig('interface em0 { upstream }\ninclude "./m.conf"\n', {
    file: "/etc/m.conf",
    include,
  });
  assert.deepEqual(diagnostics.map(formatDiagnostic), [
    '/etc/m.conf:2:9: cannot include "./m.conf": it is "/etc/m.conf", which is already being ' +
    "read (a loop)",
  ]);
});

Deno.test("include: a block left open at the end of an included file is an error", () => {
  const { messages } = parseWith('include "open.conf"\n}\ninterface em0 { upstream }\n', {
    "/etc/open.conf": "interface em1 { downstream",
  });
  assert.deepEqual(messages, [
    '/etc/mcast-proxy.conf:2:1: unexpected "}" outside an interface block',
    '/etc/open.conf:1:27: expected "}" to close interface "em1" (at /etc/open.conf:1), found ' +
    'the end of "/etc/open.conf"',
  ]);
  const brace = parseWith('include "name.conf"\n{ downstream }\ninterface em0 { upstream }\n', {
    "/etc/name.conf": "interface em1",
  });
  assert.deepEqual(brace.messages, [
    '/etc/mcast-proxy.conf:2:1: expected a keyword, found "{"',
    '/etc/name.conf:1:14: expected "{" after interface "em1", found end of line',
  ]);
});
