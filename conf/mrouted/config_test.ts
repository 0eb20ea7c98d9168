import assert from "node:assert/strict";
import {
  CACHE_LIFETIME_MAX,
  CACHE_LIFETIME_MIN,
  DEFAULT_CACHE_LIFETIME,
  DEFAULT_MROUTED_CONF,
  DEFAULT_PRUNE_LIFETIME,
  defaultMroutedConfig,
  defaultPhyint,
  defaultTunnel,
  METRIC_MAX,
  PRUNE_LIFETIME_MIN,
} from "./config.ts";
import { DVMRP_INFINITY } from "../../src/proto/dvmrp_messages.ts";

const AT = { file: "x.conf", line: 1, col: 1 };

Deno.test("the defaults are mrouted's", () => {
  assert.equal(DEFAULT_MROUTED_CONF, "/etc/mrouted.conf");
  assert.deepEqual(defaultMroutedConfig(), {
    phyints: [],
    tunnels: [],
    names: new Map(),
    cacheLifetime: 300,
    pruneLifetime: 7200,
    pruning: true,
  });
  assert.equal(DEFAULT_CACHE_LIFETIME, CACHE_LIFETIME_MIN);
  assert.equal(CACHE_LIFETIME_MAX, 86400);
  assert.ok(DEFAULT_PRUNE_LIFETIME >= PRUNE_LIFETIME_MIN);
});

Deno.test("the highest metric is one less than Infinity", () => {
  assert.equal(METRIC_MAX, DVMRP_INFINITY - 1);
  assert.equal(METRIC_MAX, 31);
});

Deno.test("defaultPhyint and defaultTunnel differ in the rate limit only", () => {
  const iface = { kind: "name" as const, name: "le0" };
  assert.deepEqual(defaultPhyint(iface, AT), {
    at: AT,
    iface,
    disable: false,
    metric: 1,
    threshold: 1,
    rateLimit: 0,
    boundaries: [],
    altnets: [],
    igmpv1: false,
  });
  const remote = { kind: "hostname" as const, name: "gw" };
  assert.deepEqual(defaultTunnel({ local: iface, remote }, AT), {
    at: AT,
    local: iface,
    remote,
    metric: 1,
    threshold: 1,
    rateLimit: 500,
    boundaries: [],
  });
  // Each call gives its own lists.
  assert.notEqual(defaultPhyint(iface, AT).boundaries, defaultPhyint(iface, AT).boundaries);
  assert.notEqual(defaultMroutedConfig().names, defaultMroutedConfig().names);
});
