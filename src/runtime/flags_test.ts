import assert, { equal } from "node:assert/strict";
import { parseArgs } from "node:util";
import {
  DEFAULT_CONF,
  DEFAULT_CONTROL_SOCKET,
  flagErrorMessage,
  parseFlags,
  USAGE,
} from "./flags.ts";

/** The message for what parseArgs throws on `args`, with the daemon's option kinds. */
function messageFor(args: string[]): string {
  try {
    parseArgs({
      args,
      strict: true,
      allowPositionals: false,
      options: {
        d: { type: "boolean" },
        f: { type: "string" },
        conf: { type: "string" },
        version: { type: "boolean" },
      },
    });
  } catch (err) {
    return flagErrorMessage(err);
  }
  return "no error";
}

Deno.test("flagErrorMessage names flags as typed, for each kind of mistake", () => {
  equal(messageFor(["-f"]), "option -f needs a value");
  equal(messageFor(["--conf"]), "option --conf needs a value");
  equal(messageFor(["--version=3"]), "option --version takes no value");
  equal(messageFor(["-x"]), "unknown option -x");
  equal(messageFor(["--bogus"]), "unknown option --bogus");
  equal(messageFor(["-d", "extra"]), 'unexpected argument "extra"');
});

Deno.test("flagErrorMessage passes other errors on", () => {
  equal(flagErrorMessage(new Error("something else")), "something else");
  equal(flagErrorMessage("text"), "text");
});

Deno.test("parseFlags: the daemon's flags, with the defaults", () => {
  assert.deepEqual(parseFlags([]), {
    kind: "run",
    flags: {
      foreground: false,
      checkOnly: false,
      verbosity: 0,
      file: DEFAULT_CONF,
      macros: {},
      controlSocket: DEFAULT_CONTROL_SOCKET,
    },
  });
  const args = ["-dnvv", "-D", "a=1", "-D", "b=x=y", "-D", "a=2", "-f", "m", "-s", "/run/x.sock"];
  assert.deepEqual(parseFlags(args), {
    kind: "run",
    flags: {
      foreground: true,
      checkOnly: true,
      verbosity: 2,
      file: "m",
      macros: { a: "2", b: "x=y" },
      controlSocket: "/run/x.sock",
    },
  });
  assert.deepEqual(parseFlags(["-s", ""]), {
    kind: "mistake",
    message: "-s needs a path",
    usage: true,
  });
  const ro = parseFlags(["-r", "/run/ro.sock"]);
  assert.equal(ro.kind === "run" && ro.flags.readOnlySocket, "/run/ro.sock");
  assert.deepEqual(parseFlags(["-r", ""]), {
    kind: "mistake",
    message: "-r needs a path",
    usage: true,
  });
  assert.deepEqual(parseFlags(["-r", "/a", "-s", "/a"]), {
    kind: "mistake",
    message: "-r and -s name the same socket: the read-only one needs its own path",
    usage: true,
  });
  const conf = parseFlags(["--conf", "c", "-f", "c"]);
  assert.equal(conf.kind === "run" && conf.flags.file, "c");
});

Deno.test("parseFlags: help and version win over the other flags' values", () => {
  assert.deepEqual(parseFlags(["-D", "bad", "-h"]), { kind: "help" });
  assert.deepEqual(parseFlags(["--help", "--version"]), { kind: "help" });
  assert.deepEqual(parseFlags(["-f", "a", "--conf", "b", "--version"]), { kind: "version" });
});

Deno.test("parseFlags: mistakes, with the usage after the ones about flags", () => {
  assert.deepEqual(parseFlags(["-x"]), {
    kind: "mistake",
    message: "unknown option -x",
    usage: true,
  });
  assert.deepEqual(parseFlags(["-f", "a", "--conf", "b"]), {
    kind: "mistake",
    message: "-f and --conf name different files: give one of them",
    usage: true,
  });
  assert.deepEqual(parseFlags(["-D", "=1"]), {
    kind: "mistake",
    message: "-D =1: expected macro=value",
    usage: false,
  });
  const keyword = parseFlags(["-D", "interface=1"]);
  assert.ok(keyword.kind === "mistake" && !keyword.usage, JSON.stringify(keyword));
  assert.ok(keyword.message.startsWith("-D interface=1: "), keyword.message);
});

Deno.test("USAGE names every flag and the default file", () => {
  for (
    const flag of ["-d", "-D macro=value", "-f, --conf file", "-n", "-v", "-h, --help", "--version"]
  ) {
    assert.ok(USAGE.includes(flag), flag);
  }
  assert.ok(USAGE.includes(`(default ${DEFAULT_CONF})`));
});
