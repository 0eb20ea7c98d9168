import { equal } from "node:assert/strict";
import { parseArgs } from "node:util";
import { flagErrorMessage } from "./flags.ts";

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
