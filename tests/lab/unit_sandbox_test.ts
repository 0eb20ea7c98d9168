import { deepStrictEqual, equal, ok, throws } from "node:assert/strict";
import { sandboxArgv, serviceSettings } from "./unit_sandbox.ts";

const UNIT = `[Unit]
Description=x
Environment=NOT=this
[Service]
# a comment
Environment=DENO_NO_UPDATE_CHECK=1
ExecReload=/a
ExecReload=/b
CapabilityBoundingSet=CAP_NET_RAW CAP_NET_ADMIN
AmbientCapabilities=
NoNewPrivileges=yes
ProtectSystem=strict
ProtectHome=yes
PrivateDevices=yes
ProcSubset=pid
UMask=0077
[Install]
WantedBy=multi-user.target
`;

Deno.test("serviceSettings: the [Service] keys, repeated ones in order", () => {
  const s = serviceSettings(UNIT);
  deepStrictEqual(s.get("ExecReload"), ["/a", "/b"]);
  deepStrictEqual(s.get("Environment"), ["DENO_NO_UPDATE_CHECK=1"]);
  deepStrictEqual(s.get("AmbientCapabilities"), [""]);
  equal(s.get("WantedBy"), undefined);
  equal(s.get("Description"), undefined);
});

Deno.test("sandboxArgv: unshare, the mounts, then setpriv with the unit's bounding set", () => {
  const sb = sandboxArgv(serviceSettings(UNIT), ["/usr/sbin/prog", "-d"]);
  deepStrictEqual(sb.argv.slice(0, 7), [
    "unshare",
    "--mount",
    "--propagation",
    "private",
    "--",
    "/bin/sh",
    "-c",
  ]);
  deepStrictEqual(sb.argv.slice(8), ["sandbox", "/usr/sbin/prog", "-d"]);
  const script = sb.argv[7];
  ok(script.includes("mount -t tmpfs -o mode=755,nosuid,noexec tmpfs /dev"));
  ok(script.includes("mknod -m 666 /dev/urandom c 1 9"));
  ok(script.includes("subset=pid"));
  ok(script.includes('mount -o remount,bind,ro "$m"'));
  ok(script.includes("umask 0077"));
  ok(
    script.endsWith(
      'exec setpriv --no-new-privs --bounding-set -all,+net_raw,+net_admin --ambient-caps -all -- "$@"',
    ),
    script,
  );
  deepStrictEqual(sb.env, { DENO_NO_UPDATE_CHECK: "1" });
});

Deno.test("sandboxArgv: a value it cannot apply is an error, not ignored", () => {
  throws(() => sandboxArgv(serviceSettings("[Service]\nProtectSystem=full\n"), ["x"]), /full/);
  throws(() => sandboxArgv(serviceSettings("[Service]\nProtectHome=tmpfs\n"), ["x"]), /tmpfs/);
  throws(() => sandboxArgv(serviceSettings("[Service]\nProcSubset=x\n"), ["x"]), /ProcSubset/);
});
