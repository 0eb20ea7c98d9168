import { deepStrictEqual, throws } from "node:assert/strict";
import { ip } from "../../src/proto/testing.ts";
import { parseIgmpToolArgs } from "./igmp_tool.ts";

const ASK = ["ask-neighbors", "--iface", "eth0", "--source", "10.2.0.11"];

Deno.test("parseIgmpToolArgs reads ask-neighbors: the router, a timeout of 5 s unless given", () => {
  deepStrictEqual(parseIgmpToolArgs([...ASK, "--router", "10.2.0.1"]), {
    command: "ask-neighbors",
    iface: "eth0",
    source: ip("10.2.0.11"),
    router: ip("10.2.0.1"),
    timeoutMs: 5000,
  });
  deepStrictEqual(
    parseIgmpToolArgs([...ASK, "--router=10.100.1.2", "--timeout-ms", "250"]),
    {
      command: "ask-neighbors",
      iface: "eth0",
      source: ip("10.2.0.11"),
      router: ip("10.100.1.2"),
      timeoutMs: 250,
    },
  );
});

Deno.test("parseIgmpToolArgs reads ask-neighbors without --iface: no interface bound", () => {
  deepStrictEqual(
    parseIgmpToolArgs(["ask-neighbors", "--source", "10.1.0.11", "--router", "10.2.0.1"]),
    { command: "ask-neighbors", source: ip("10.1.0.11"), router: ip("10.2.0.1"), timeoutMs: 5000 },
  );
  throws(
    () => parseIgmpToolArgs(["flood", "--source", "10.1.0.11"]),
    /Flag "--iface" is required/,
  );
});

Deno.test("parseIgmpToolArgs refuses an ask-neighbors without a unicast router", () => {
  throws(() => parseIgmpToolArgs(ASK), /Flag "--router" is required/);
  throws(
    () => parseIgmpToolArgs([...ASK, "--router", "224.0.0.4"]),
    /"--router" must be a unicast address, not "224\.0\.0\.4"/,
  );
  throws(() => parseIgmpToolArgs([...ASK, "--router", "0.0.0.0"]), /unicast address/);
  throws(() => parseIgmpToolArgs([...ASK, "--router", "10.2.0"]), /IPv4 address/);
  throws(
    () => parseIgmpToolArgs([...ASK, "--router", "10.2.0.1", "--timeout-ms", "0"]),
    /"--timeout-ms" must be an integer from 1/,
  );
  throws(
    () => parseIgmpToolArgs([...ASK, "--router", "10.2.0.1", "--count", "3"]),
    /Unknown flag "--count" for "ask-neighbors"/,
  );
  throws(() => parseIgmpToolArgs(["ask"]), /\(query, flood, reports, leaves, ask-neighbors\)/);
});
