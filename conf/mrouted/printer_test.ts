import assert from "node:assert/strict";
import { printMroutedConfig } from "./printer.ts";
import { parseValid, stripPositions } from "./testing.ts";

Deno.test("printMroutedConfig prints nothing for the defaults", () => {
  assert.equal(printMroutedConfig(parseValid("# nothing")), "");
  assert.equal(
    printMroutedConfig(parseValid("cache_lifetime 300 prune_lifetime 7200 pruning on")),
    "",
  );
});

Deno.test("printMroutedConfig prints one statement per line, defaults left out", () => {
  const config = parseValid(
    `pruning off prune_lifetime 600 cache_lifetime 900
name EE 239.254.0.0/16 name SAME 239.254.0.0/16
phyint 10.0.0.1 igmpv1 altnet 10.2.0.0/16 metric 1 threshold 2 rate_limit 0 disable
  boundary SAME boundary 239.3.0.0/16
tunnel le0 10.1.1.1 rate_limit 0 metric 5
tunnel "threshold" gw.example rate_limit 500 boundary EE
`,
  );
  assert.equal(
    printMroutedConfig(config),
    `cache_lifetime 900
prune_lifetime 600
pruning off
name EE 239.254.0.0/16
name SAME 239.254.0.0/16
phyint 10.0.0.1 disable threshold 2 boundary EE boundary 239.3.0.0/16 altnet 10.2.0.0/16 igmpv1
tunnel le0 10.1.1.1 metric 5 rate_limit 0
tunnel "threshold" gw.example boundary EE
`,
  );
});

Deno.test("printMroutedConfig quotes names the lexer would not read back", () => {
  const config = parseValid('phyint "a#b" phyint "pruning" phyint "q\\"x"');
  const printed = printMroutedConfig(config);
  assert.equal(printed, 'phyint "a#b"\nphyint "pruning"\nphyint "q\\"x"\n');
  assert.deepEqual(stripPositions(parseValid(printed)), stripPositions(config));
});

Deno.test("printMroutedConfig round-trips the manual's kind of file", () => {
  const config = parseValid(`name LOCAL 239.255.0.0/16 name EE 239.254.0.0/16
phyint le1 boundary EE
phyint 172.16.12.38 boundary EE altnet 172.16.15.0/26 altnet 172.16.15.128/26
phyint atm0 disable
tunnel 192.168.5.4 192.168.55.101 metric 1 threshold 1 rate_limit 0
tunnel 192.168.5.4 10.11.12.13 metric 1 threshold 32 boundary LOCAL boundary EE
`);
  const printed = printMroutedConfig(config);
  const again = parseValid(printed);
  assert.deepEqual(stripPositions(again), stripPositions(config));
  assert.equal(printMroutedConfig(again), printed);
});
