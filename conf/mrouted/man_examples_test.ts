/**
 * The manual page man/mcast-routed.8 and the example file conf/mrouted.conf.example against
 * the reader: every literal display of the page and the example file parse without errors or
 * warnings, the page documents every keyword, and the ranges and defaults it gives are those
 * the reader applies.
 *
 * Convention of the page: every `.Bd -literal` ... `.Ed` display is configuration text.
 *
 * Needs `--allow-read`.
 *
 * @module
 */

import assert from "node:assert/strict";
import { formatDiagnostic } from "../config.ts";
import {
  CACHE_LIFETIME_MAX,
  CACHE_LIFETIME_MIN,
  DEFAULT_CACHE_LIFETIME,
  DEFAULT_PRUNE_LIFETIME,
  DEFAULT_TUNNEL_RATE_LIMIT,
  METRIC_MAX,
  METRIC_MIN,
  PRUNE_LIFETIME_MAX,
  PRUNE_LIFETIME_MIN,
  RATE_LIMIT_MAX,
  THRESHOLD_MAX,
  THRESHOLD_MIN,
} from "./config.ts";
import { STATEMENT_KEYWORDS, VIF_OPTIONS } from "./keywords.ts";
import { parseMroutedConfig } from "./parser.ts";

const PAGE = new URL("../../man/mcast-routed.8", import.meta.url);
const EXAMPLE = new URL("../mrouted.conf.example", import.meta.url);
const LINES = Deno.readTextFileSync(PAGE).split("\n");

/** Undoes the few mdoc escapes a display may use; any other is an error. */
function unescapeMdoc(s: string, line: number): string {
  return s.replace(/\\(.)/g, (all, esc: string) => {
    if (esc === "e") return "\\";
    if (esc === "&") return "";
    if (esc === "-") return "-";
    throw new Error(`mcast-routed.8:${line}: unexpected escape ${all} in a literal display`);
  });
}

/** Every `.Bd -literal` display of the page: its first line and its text. */
function displays(): { line: number; text: string }[] {
  const out: { line: number; text: string }[] = [];
  let open: { line: number; lines: string[] } | undefined;
  LINES.forEach((l, i) => {
    if (l.startsWith(".Bd -literal")) open = { line: i + 2, lines: [] };
    else if (l === ".Ed" && open !== undefined) {
      out.push({ line: open.line, text: open.lines.join("\n") + "\n" });
      open = undefined;
    } else if (open !== undefined) open.lines.push(unescapeMdoc(l, i + 1));
  });
  return out;
}

/** Parses text that must have no errors and no warnings. */
function assertClean(text: string, file: string): void {
  const { config, diagnostics } = parseMroutedConfig(text, file);
  assert.deepEqual(diagnostics.map(formatDiagnostic), []);
  assert.ok(config !== undefined);
}

Deno.test("man/mcast-routed.8: every literal display is a clean configuration", () => {
  const found = displays();
  assert.ok(found.length >= 1, "the page has no example");
  for (const { line, text } of found) assertClean(text, `mcast-routed.8:${line}`);
  // The example has every kind of statement of the manual's example.
  const example = parseMroutedConfig(found[0].text, "x").config;
  assert.deepEqual(
    [example?.names.size, example?.phyints.length, example?.tunnels.length],
    [2, 3, 2],
  );
});

Deno.test("conf/mrouted.conf.example is a clean configuration using every keyword", () => {
  const text = Deno.readTextFileSync(EXAMPLE);
  assertClean(text, "mrouted.conf.example");
  const words = new Set(text.replace(/#.*$/gm, "").split(/\s+/));
  for (const k of [...STATEMENT_KEYWORDS, ...VIF_OPTIONS.map((o) => o.keyword)]) {
    assert.ok(words.has(k), `the example does not use "${k}"`);
  }
});

Deno.test("man/mcast-routed.8 documents every keyword", () => {
  const items = new Set(
    LINES.filter((l) => l.startsWith(".It Ic ")).map((l) => l.split(/\s+/)[2]),
  );
  for (const k of [...STATEMENT_KEYWORDS, ...VIF_OPTIONS.map((o) => o.keyword)]) {
    assert.ok(items.has(k), `no ".It Ic ${k}" in the page`);
  }
});

Deno.test("man/mcast-routed.8 gives the ranges and defaults the reader applies", () => {
  const page = LINES.join(" ").replace(/\s+/g, " ");
  const says = (s: string) => assert.ok(page.includes(s), `the page does not say "${s}"`);
  says(`between ${METRIC_MIN} and ${METRIC_MAX}`);
  says(`between ${THRESHOLD_MIN} and ${THRESHOLD_MAX}`);
  says(`between 0 and ${RATE_LIMIT_MAX}`);
  says(`default is 0 on interfaces and ${DEFAULT_TUNNEL_RATE_LIMIT} on tunnels`);
  says(`between ${CACHE_LIFETIME_MIN} (5 minutes) and ${CACHE_LIFETIME_MAX} (1 day)`);
  says(`The default is ${DEFAULT_CACHE_LIFETIME}.`);
  says(`between ${PRUNE_LIFETIME_MIN} and ${PRUNE_LIFETIME_MAX}`);
  says(`The default is ${DEFAULT_PRUNE_LIFETIME} (2 hours)`);
});
