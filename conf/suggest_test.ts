import assert from "node:assert/strict";
import { closest, editDistance, suggestKeyword, unknownKeywordMessage } from "./suggest.ts";
import { INTERFACE_KEYWORDS, TOP_KEYWORDS } from "./keywords.ts";
import { messages, UP } from "./testing.ts";

Deno.test("parseConfig suggests the closest keyword", () => {
  assert.deepEqual(
    messages(
      UP +
        "interface em1 { downstrem }\ninterface em2 {\n\tthreshhold 3\n\tsorce 10.0.0.0/8\n" +
        "\tipv7 yes\n\tmtu 1500\n}\nipv9 yes\ninterfaces em3 { upstream }\nfoo\n",
    ),
    [
      'test.conf:2:17: unknown keyword "downstrem": did you mean "downstream"?',
      'test.conf:4:2: unknown keyword "threshhold": did you mean "threshold"?',
      'test.conf:5:2: unknown keyword "sorce": did you mean "source"?',
      'test.conf:6:2: unknown keyword "ipv7": did you mean "ipv4"?',
      'test.conf:7:2: unknown keyword "mtu"',
      'test.conf:9:1: unknown keyword "ipv9": did you mean "ipv4"?',
      'test.conf:10:1: unknown keyword "interfaces": did you mean "interface"?',
      'test.conf:11:1: unknown keyword "foo"',
    ],
  );
});

Deno.test("editDistance counts insertions, deletions, substitutions and swaps", () => {
  assert.equal(editDistance("", ""), 0);
  assert.equal(editDistance("abc", ""), 3);
  assert.equal(editDistance("", "ab"), 2);
  assert.equal(editDistance("downstrem", "downstream"), 1);
  assert.equal(editDistance("upsteram", "upstream"), 1);
  assert.equal(editDistance("ipv7", "ipv4"), 1);
  assert.equal(editDistance("kitten", "sitting"), 3);
});

Deno.test("closest ignores case, takes the first list with a match, and the first of equals", () => {
  assert.equal(closest("UPSTREM", [["upstream"]]), "upstream");
  assert.equal(closest("ipv7", [["ipv4", "ipv6"]]), "ipv4");
  // A nearer match in a later list loses to a farther one in an earlier list.
  assert.equal(closest("ipv7", [["ipx77"], ["ipv7"]]), "ipx77");
  assert.equal(closest("ipv7", [[], ["ipv6"]]), "ipv6");
  // Three edits are too many.
  assert.equal(closest("abc", [["xyz"]]), undefined);
  assert.equal(closest("abc", []), undefined);
});

Deno.test("suggestKeyword prefers the keywords of the level, then the others", () => {
  assert.equal(suggestKeyword("interfaces", TOP_KEYWORDS), "interface");
  // "source" is only valid in a block, but it is still the best guess at top level.
  assert.equal(suggestKeyword("sorce", TOP_KEYWORDS), "source");
  assert.equal(suggestKeyword("chrot", INTERFACE_KEYWORDS), "chroot");
  assert.equal(suggestKeyword("mtu", INTERFACE_KEYWORDS), undefined);
});

Deno.test("unknownKeywordMessage names the word and a suggestion when there is one", () => {
  assert.equal(
    unknownKeywordMessage("downstrem", INTERFACE_KEYWORDS),
    'unknown keyword "downstrem": did you mean "downstream"?',
  );
  assert.equal(unknownKeywordMessage("mtu", INTERFACE_KEYWORDS), 'unknown keyword "mtu"');
});
