import { deepStrictEqual, throws } from "node:assert/strict";
import { gaps, gapsIfKeptUp, mcfilterLines } from "./kernel_state.ts";

Deno.test("gaps lists the sequence numbers missing from an ascending list", () => {
  deepStrictEqual(gaps([3, 4, 7, 8, 10]), [5, 6, 9]);
  deepStrictEqual(gaps([]), []);
});

Deno.test("gapsIfKeptUp: the gaps when the host dropped nothing itself, else none", () => {
  deepStrictEqual(gapsIfKeptUp([1, 2, 5], 0), [3, 4]);
  deepStrictEqual(gapsIfKeptUp([1, 2, 3], 0), []);
  deepStrictEqual(gapsIfKeptUp([1, 2, 5], 1), []);
});

Deno.test("mcfilterLines: the sources of one group's filter on one interface, sorted", () => {
  // The file cuts names to 6 characters: upstream0 is "upstre".
  const text = "Idx Device        MCA        SRC    INC    EXC\n" +
    "  2 upstre 0xef020202 0x0a000009      0      1\n" +
    "  2 upstre 0xef020202 0x0a000003      0      2\n" +
    "  2 upstre 0xef010101 0x0a000005      1      0\n" +
    "  3    dn1 0xef020202 0x0a000008      0      1\n";
  deepStrictEqual(mcfilterLines(text, "upstream0", "239.2.2.2"), [
    "10.0.0.3 0 2",
    "10.0.0.9 0 1",
  ]);
  deepStrictEqual(mcfilterLines(text, "dn1", "239.1.1.1"), []);
  throws(() => mcfilterLines("  2 up0 239.2.2.2 10.0.0.9 0 1\n", "up0", "239.2.2.2"), /mcfilter/);
});
