/**
 * The manual page man/mcast-proxy.conf.5 against the parser: its examples are valid, it documents
 * every keyword, and the ranges and defaults it gives are those the parser applies.
 *
 * Convention of the page: every `.Bd -literal` ... `.Ed` display is configuration text (command
 * lines go in `.Ql` or `.Dl`, which are not checked). A display is a complete configuration when
 * it has an `upstream` statement (a bare `upstream` word outside comments and quotes) and is
 * parsed as it stands. A display without one is a fragment made of whole top-level statements
 * (never the inside of a block alone): it is parsed with {@link FRAGMENT_UPSTREAM} appended,
 * the least that makes it complete. The displays of the EXAMPLES section are all complete.
 * `include` reads an empty file. Every display must parse without errors and without warnings.
 *
 * Needs `--allow-read`.
 *
 * @module
 */

import assert from "node:assert/strict";
import {
  DEFAULT_IGMP_VERSION,
  DEFAULT_MLD_VERSION,
  effectiveTimers,
  formatDiagnostic,
} from "./config.ts";
import { VERSION_KEYWORDS } from "./keywords.ts";
import { KEYWORDS, tokenize } from "./lexer.ts";
import { parseConfig, THRESHOLD_MAX, THRESHOLD_MIN } from "./parser.ts";
import { formatSeconds, type ProtocolTimers, TIMER_KEYWORDS } from "../src/core/timers.ts";

const PAGE = new URL("../man/mcast-proxy.conf.5", import.meta.url);
const LINES = Deno.readTextFileSync(PAGE).split("\n");

/** Appended to a fragment so that it has its one upstream interface. */
const FRAGMENT_UPSTREAM = "\ninterface example0 { upstream }\n";

/** Fewer displays than this means the extraction is broken (the page has 10). */
const MIN_EXAMPLES = 10;
/** The EXAMPLES section has at least this many complete configurations. */
const MIN_FULL_EXAMPLES = 4;

/** One literal display of the page. */
interface Example {
  /** 1-based number in page order, used as the file name `example N`. */
  n: number;
  /** Line of the page where the display's text starts. */
  line: number;
  /** The `.Sh` section it is in. */
  section: string;
  /** The configuration text, mdoc escapes undone. */
  text: string;
}

/** Undoes the mdoc escapes a literal display may use; any other escape is an error. */
function unescapeMdoc(s: string, line: number): string {
  const named: Record<string, string> = {
    dq: '"',
    aq: "'",
    ti: "~",
    ha: "^",
    rs: "\\",
    mu: "x",
  };
  return s.replace(/\\(\((..)|.)/g, (all, esc: string, name: string | undefined) => {
    if (name !== undefined && name in named) return named[name];
    switch (esc) {
      case "e":
        return "\\";
      case "&":
        return "";
      case "-":
        return "-";
    }
    throw new Error(`mcast-proxy.conf.5:${line}: unexpected escape ${all} in a literal display`);
  });
}

/** Every `.Bd -literal` display of the page, in order. */
function extractExamples(): Example[] {
  const examples: Example[] = [];
  let section = "";
  for (let i = 0; i < LINES.length; i++) {
    const sh = /^\.Sh\s+(.*)$/.exec(LINES[i]);
    if (sh !== null) section = sh[1].trim();
    if (!/^\.Bd\s+-literal\b/.test(LINES[i])) continue;
    const start = i + 1;
    const body: string[] = [];
    for (i++; i < LINES.length && !/^\.Ed\b/.test(LINES[i]); i++) {
      if (LINES[i].startsWith('.\\"')) continue;
      if (/^[.']/.test(LINES[i])) {
        throw new Error(`mcast-proxy.conf.5:${i + 1}: macro line in a literal display`);
      }
      body.push(unescapeMdoc(LINES[i], i + 1));
    }
    assert.ok(i < LINES.length, `mcast-proxy.conf.5:${start}: .Bd without .Ed`);
    examples.push({ n: examples.length + 1, line: start + 1, section, text: body.join("\n") });
  }
  return examples;
}

/** Whether a display configures an upstream interface (and so is a complete configuration). */
function isComplete(text: string): boolean {
  return tokenize(text, { file: "" }).tokens.some((t) =>
    t.kind === "word" && t.value === "upstream"
  );
}

/** Parses a display by the convention above. */
function parseExample(ex: Example, macros: Record<string, string> = {}) {
  const text = isComplete(ex.text) ? ex.text : ex.text + FRAGMENT_UPSTREAM;
  return parseConfig(text, { file: `example ${ex.n}`, macros, include: () => ({ text: "" }) });
}

const EXAMPLES = extractExamples();

Deno.test("mcast-proxy.conf(5) has its literal displays, and EXAMPLES holds complete ones", () => {
  assert.ok(
    EXAMPLES.length >= MIN_EXAMPLES,
    `found ${EXAMPLES.length} displays, expected at least ${MIN_EXAMPLES}`,
  );
  const full = EXAMPLES.filter((ex) => ex.section === "EXAMPLES");
  assert.ok(full.length >= MIN_FULL_EXAMPLES, `EXAMPLES has ${full.length} displays`);
  for (const ex of full) {
    assert.ok(isComplete(ex.text), `example ${ex.n} (line ${ex.line}) has no upstream`);
  }
});

for (const ex of EXAMPLES) {
  const kind = isComplete(ex.text) ? "configuration" : "fragment";
  Deno.test(`mcast-proxy.conf(5) example ${ex.n} (line ${ex.line}, ${kind}) parses cleanly`, () => {
    const { config, diagnostics } = parseExample(ex);
    assert.deepEqual(
      diagnostics.map(formatDiagnostic),
      [],
      `example ${ex.n} starts at mcast-proxy.conf.5:${ex.line}:\n${ex.text}`,
    );
    assert.ok(config !== undefined);
  });
}

Deno.test("mcast-proxy.conf(5): -D overrides the macro of the MACROS example as it says", () => {
  const ex = EXAMPLES.find((e) => e.section === "MACROS");
  assert.ok(ex !== undefined, "no display in MACROS");
  const em1 = (macros: Record<string, string>) =>
    parseExample(ex, macros).config?.interfaces.find((i) => i.name === "em1");
  assert.equal(em1({})?.threshold, 2);
  assert.equal(em1({ lan_ttl: "4" })?.threshold, 4);
});

/** The words marked up with `Ic` anywhere on the page. */
function icWords(): Set<string> {
  const words = new Set<string>();
  for (const line of LINES) {
    if (!line.startsWith(".")) continue;
    const tokens = line.slice(1).split(/\s+/);
    for (let i = 0; i < tokens.length; i++) {
      if (tokens[i] !== "Ic") continue;
      // Arguments run up to the next macro (Ns, Ar, Pq, ...) or punctuation.
      for (
        let j = i + 1;
        j < tokens.length && !/^(?:[A-Z][a-z]{1,2}|[.,;:|()])$/.test(tokens[j]);
        j++
      ) {
        words.add(unescapeMdoc(tokens[j], 0));
      }
    }
  }
  return words;
}

Deno.test("mcast-proxy.conf(5) documents every keyword of the grammar", () => {
  const documented = icWords();
  const missing = KEYWORDS.filter((k) => !documented.has(k));
  assert.deepEqual(missing, [], "keywords without an Ic in mcast-proxy.conf.5");
  for (const k of TIMER_KEYWORDS) {
    assert.ok(itemText("PROTOCOL TIMERS", k.keyword) !== undefined, `no .It for ${k.keyword}`);
  }
});

/**
 * The text of the `.It Ic keyword` item in `section`, roughly as rendered: macro names dropped,
 * escapes undone, white space collapsed. `undefined` when there is no such item.
 */
function itemText(section: string, keyword: string): string | undefined {
  let current = "";
  for (let i = 0; i < LINES.length; i++) {
    const sh = /^\.Sh\s+(.*)$/.exec(LINES[i]);
    if (sh !== null) current = sh[1].trim();
    if (current !== section || !new RegExp(`^\\.It Ic ${keyword}(\\s|$)`).test(LINES[i])) {
      continue;
    }
    const parts: string[] = [];
    for (i++; i < LINES.length && !/^\.(It|El|Sh)\b/.test(LINES[i]); i++) {
      const line = LINES[i];
      if (line.startsWith('.\\"')) continue;
      const words = line.startsWith(".")
        ? line.slice(1).split(/\s+/).filter((w) => !/^[A-Z][a-z]{1,2}$/.test(w))
        : [line];
      parts.push(unescapeMdoc(words.join(" "), i + 1));
    }
    return parts.join(" ").replace(/\s+/g, " ").replace(/ ([.,;:])/g, "$1");
  }
  return undefined;
}

/** Ranges and defaults in the page's words: "Values range from A to B; the default is C." */
function rangeOf(text: string): [string, string] | undefined {
  const m = /Values range from ([0-9.]+) to ([0-9.]+)/.exec(text);
  return m === null ? undefined : [m[1], m[2]];
}

function defaultOf(text: string): string | undefined {
  return /the default is ([^.;]+)/i.exec(text)?.[1].trim();
}

Deno.test("mcast-proxy.conf(5) gives the parser's ranges and defaults of the timers", () => {
  const defaults = effectiveTimers({ timers: {} });
  // A default that moves with robustness or query-interval is derived, and said in words.
  const moved = effectiveTimers({ timers: { robustness: 3, queryInterval: 100_000 } });
  const derived = (f: keyof ProtocolTimers) =>
    f !== "robustness" && f !== "queryInterval" && defaults[f] !== moved[f];
  const show = (unit: string, v: number) => unit === "seconds" ? formatSeconds(v) : String(v);
  for (const k of TIMER_KEYWORDS) {
    const text = itemText("PROTOCOL TIMERS", k.keyword);
    assert.ok(text !== undefined, `no item for ${k.keyword}`);
    assert.deepEqual(rangeOf(text), [show(k.unit, k.min), show(k.unit, k.max)], k.keyword);
    const said = defaultOf(text);
    assert.ok(said !== undefined, `${k.keyword}: no default given`);
    if (derived(k.field)) {
      assert.match(said, /robustness|query-interval/, `${k.keyword}: ${said}`);
    } else {
      assert.equal(said, show(k.unit, defaults[k.field]), k.keyword);
    }
  }
});

Deno.test("mcast-proxy.conf(5) gives the parser's threshold range and family defaults", () => {
  const parsed = parseConfig("interface em0 { upstream }\ninterface em1 {\n}\n", {
    file: "defaults",
  }).config;
  assert.ok(parsed !== undefined);
  const em1 = parsed.interfaces[1];
  const threshold = itemText("INTERFACE CONFIGURATION", "threshold");
  assert.ok(threshold !== undefined);
  assert.deepEqual(rangeOf(threshold), [String(THRESHOLD_MIN), String(THRESHOLD_MAX)]);
  assert.equal(defaultOf(threshold), String(em1.threshold));
  const yesNo = (on: boolean) => on ? "yes" : "no";
  assert.equal(defaultOf(itemText("GLOBAL CONFIGURATION", "ipv4") ?? ""), yesNo(parsed.ipv4));
  assert.equal(defaultOf(itemText("GLOBAL CONFIGURATION", "ipv6") ?? ""), yesNo(parsed.ipv6));
  assert.equal(defaultOf(itemText("INTERFACE CONFIGURATION", "upstream") ?? ""), em1.role);
});

Deno.test("mcast-proxy.conf(5) gives the parser's query versions and their defaults", () => {
  for (const { keyword, versions } of VERSION_KEYWORDS) {
    const text = itemText("GLOBAL CONFIGURATION", keyword);
    assert.ok(text !== undefined, `no global item for ${keyword}`);
    const list = `${versions.slice(0, -1).join(", ")} or ${versions.at(-1)}`;
    assert.ok(text.includes(list), `${keyword}: ${text}`);
    const fallback = keyword === "igmp-version" ? DEFAULT_IGMP_VERSION : DEFAULT_MLD_VERSION;
    assert.equal(defaultOf(text), String(fallback), keyword);
    assert.ok(
      itemText("INTERFACE CONFIGURATION", keyword) !== undefined,
      `no block item for ${keyword}`,
    );
  }
  assert.ok(itemText("GLOBAL CONFIGURATION", "ssm-range") !== undefined, "no item for ssm-range");
});
