import { deepStrictEqual, equal } from "node:assert/strict";
import {
  DEFAULT_ROUTED_CONF,
  DEFAULT_ROUTED_SOCKET,
  parseRoutedFlags,
  type RoutedCommandLine,
} from "./routed_flags.ts";

function run(args: string[]) {
  const c: RoutedCommandLine = parseRoutedFlags(args);
  if (c.kind !== "run") throw new Error(`not a run: ${JSON.stringify(c)}`);
  return c.flags;
}

Deno.test("parseRoutedFlags: no flags are mrouted's defaults, in the background, pruning", () => {
  deepStrictEqual(run([]), {
    foreground: false,
    checkOnly: false,
    verbosity: 0,
    file: DEFAULT_ROUTED_CONF,
    macros: {},
    controlSocket: DEFAULT_ROUTED_SOCKET,
    nonPruning: false,
  });
  equal(DEFAULT_ROUTED_CONF, "/etc/mrouted.conf");
  equal(DEFAULT_ROUTED_SOCKET, "/var/run/mcast-routed.sock");
});

Deno.test("parseRoutedFlags: -d alone is level 2 (debug); -d 1 and -d1 stay in the foreground quietly", () => {
  equal(run(["-d"]).verbosity, 1);
  equal(run(["-d"]).foreground, true);
  equal(run(["-d", "1"]).verbosity, 0);
  equal(run(["-d1"]).verbosity, 0);
  equal(run(["-d3", "-p"]).verbosity, 1);
  equal(run(["-d", "-c", "/x"]).file, "/x");
});

Deno.test("parseRoutedFlags: -p, -c, -s, -r, -n and combined letters", () => {
  const f = run(["-pn", "-c/tmp/m.conf", "-s", "/tmp/a.sock", "-r", "/tmp/b.sock"]);
  equal(f.nonPruning, true);
  equal(f.checkOnly, true);
  equal(f.file, "/tmp/m.conf");
  equal(f.controlSocket, "/tmp/a.sock");
  equal(f.readOnlySocket, "/tmp/b.sock");
  equal(run(["-pd"]).foreground, true);
});

Deno.test("parseRoutedFlags: mistakes say what is wrong", () => {
  deepStrictEqual(parseRoutedFlags(["-x"]), {
    kind: "mistake",
    message: "unknown option -x",
    usage: true,
  });
  deepStrictEqual(parseRoutedFlags(["-c"]), {
    kind: "mistake",
    message: "-c needs a value",
    usage: true,
  });
  deepStrictEqual(parseRoutedFlags(["-dx"]), {
    kind: "mistake",
    message: '-d takes a number, not "x"',
    usage: true,
  });
  deepStrictEqual(parseRoutedFlags(["extra"]), {
    kind: "mistake",
    message: 'unexpected argument "extra"',
    usage: true,
  });
  deepStrictEqual(parseRoutedFlags(["-s", "/a", "-r", "/a"]).kind, "mistake");
  deepStrictEqual(parseRoutedFlags(["-p", "--help"]), { kind: "help" });
  deepStrictEqual(parseRoutedFlags(["--version"]), { kind: "version" });
});
