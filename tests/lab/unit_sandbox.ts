/**
 * The systemd unit's sandbox, applied without systemd: the lab's VM has no systemd running, so
 * the install test reads the unit's `[Service]` settings and applies those the lab can with
 * `unshare`, `mount` and `setpriv` around the installed program. Applied: the capability
 * bounding set, no new privileges, a read-only file system (`ProtectSystem=strict`) but for
 * `ReadWritePaths`, hidden
 * homes (`ProtectHome=yes`), a minimal /dev (`PrivateDevices=yes`), /proc with only processes
 * (`ProcSubset=pid`), the umask and the environment. The seccomp-based settings (system call
 * and address family filters, namespaces, personality, architectures) are systemd's own
 * filters, not applied here; the daemon's own filter covers the same ground. `PrivateTmp` is
 * not applied either: the lab keeps the configuration and the jail in /tmp, and the daemon never
 * writes there.
 *
 * @module
 */

/** A unit's `[Service]` settings: each key's values, in order (a key may repeat). */
export type UnitSettings = Map<string, string[]>;

/** Reads the `[Service]` section of a unit file. */
export function serviceSettings(unit: string): UnitSettings {
  const settings: UnitSettings = new Map();
  let section = "";
  for (const raw of unit.split("\n")) {
    const line = raw.trim();
    if (line === "" || line.startsWith("#") || line.startsWith(";")) continue;
    const head = /^\[(.+)\]$/.exec(line);
    if (head !== null) {
      section = head[1];
      continue;
    }
    const eq = line.indexOf("=");
    if (section !== "Service" || eq < 0) continue;
    const key = line.slice(0, eq).trim();
    settings.set(key, [...settings.get(key) ?? [], line.slice(eq + 1).trim()]);
  }
  return settings;
}

/** The last value of a setting (the one systemd uses for single-valued settings). */
function last(settings: UnitSettings, key: string): string | undefined {
  return settings.get(key)?.at(-1);
}

/** Device nodes PrivateDevices=yes leaves (systemd.exec(5)), with their numbers. */
const PRIVATE_DEVICES: [string, number, number][] = [
  ["null", 1, 3],
  ["zero", 1, 5],
  ["full", 1, 7],
  ["random", 1, 8],
  ["urandom", 1, 9],
  ["tty", 5, 0],
];

/** A sandboxed command and what of the unit it applies. */
export interface Sandbox {
  /** The argv that runs `program` inside the sandbox. */
  argv: string[];
  /** The environment the unit sets. */
  env: Record<string, string>;
}

/**
 * The argv running `program` under the unit's settings the lab can apply. Throws on a value it
 * does not know how to apply (so that a change to the unit is noticed here).
 */
export function sandboxArgv(settings: UnitSettings, program: string[]): Sandbox {
  const script: string[] = ["set -e"];
  if (last(settings, "PrivateDevices") === "yes") {
    script.push("mount -t tmpfs -o mode=755,nosuid,noexec tmpfs /dev");
    for (const [name, major, minor] of PRIVATE_DEVICES) {
      script.push(`mknod -m 666 /dev/${name} c ${major} ${minor}`);
    }
  }
  const subset = last(settings, "ProcSubset");
  if (subset === "pid") script.push("mount -t proc -o subset=pid,nosuid,nodev,noexec proc /proc");
  else if (subset !== undefined && subset !== "all") throw new Error(`ProcSubset=${subset}`);
  const home = last(settings, "ProtectHome");
  if (home === "yes") {
    script.push(
      "for d in /home /root /run/user; do",
      '  if [ -d "$d" ]; then mount -t tmpfs -o ro,mode=755 tmpfs "$d"; fi',
      "done",
    );
  } else if (home !== undefined && home !== "no") throw new Error(`ProtectHome=${home}`);
  const system = last(settings, "ProtectSystem");
  if (system === "strict") {
    // Every mount read-only but the API file systems, as systemd does.
    script.push(
      "awk '{print $2}' /proc/self/mounts | while read -r m; do",
      '  case "$m" in /proc|/proc/*|/sys|/sys/*|/dev|/dev/*) continue;; esac',
      '  mount -o remount,bind,ro "$m" 2>/dev/null || true',
      "done",
      "if touch /.sandbox-probe 2>/dev/null; then echo 'sandbox: / is writable' >&2; exit 1; fi",
    );
  } else if (system !== undefined) throw new Error(`ProtectSystem=${system}`);
  // The exceptions, writable again (a path with "-" before it may be missing).
  for (const paths of settings.get("ReadWritePaths") ?? []) {
    for (const entry of paths.split(/\s+/).filter((p) => p !== "")) {
      const path = entry.replace(/^-/, "");
      if (!/^\/[A-Za-z0-9_./-]*$/.test(path)) throw new Error(`ReadWritePaths=${entry}`);
      script.push(
        `if [ -d ${path} ]; then mount --bind ${path} ${path} && ` +
          `mount -o remount,bind,rw ${path}; fi`,
      );
    }
  }
  const umask = last(settings, "UMask");
  if (umask !== undefined) script.push(`umask ${umask}`);
  const setpriv = ["setpriv"];
  if (last(settings, "NoNewPrivileges") === "yes") setpriv.push("--no-new-privs");
  const caps = last(settings, "CapabilityBoundingSet");
  if (caps !== undefined) {
    const list = caps.split(/\s+/).filter((c) => c !== "").map((c) =>
      `+${c.replace(/^CAP_/, "").toLowerCase()}`
    );
    setpriv.push("--bounding-set", ["-all", ...list].join(","));
  }
  if (last(settings, "AmbientCapabilities") === "") setpriv.push("--ambient-caps", "-all");
  script.push(`exec ${setpriv.join(" ")} -- "$@"`);
  const env: Record<string, string> = {};
  for (const e of settings.get("Environment") ?? []) {
    const eq = e.indexOf("=");
    if (eq > 0) env[e.slice(0, eq)] = e.slice(eq + 1);
  }
  return {
    argv: [
      "unshare",
      "--mount",
      "--propagation",
      "private",
      "--",
      "/bin/sh",
      "-c",
      script.join("\n"),
      "sandbox",
      ...program,
    ],
    env,
  };
}
