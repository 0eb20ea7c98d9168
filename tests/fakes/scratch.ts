/**
 * Unix socket paths for unit tests (the control socket's): the unit stage may write only under
 * the scratch directory it names in {@link UNIT_SCRATCH_ENV}, and connect only to the
 * {@link SCRATCH_SOCKETS} socket paths of {@link scratchSocketPaths} there (Deno grants Unix
 * sockets by exact path). Run alone, a test gets a fresh temporary directory.
 *
 * @module
 */

/** The environment variable that names the unit stage's scratch directory. */
export const UNIT_SCRATCH_ENV = "MCAST_PROXY_UNIT_TMP";

/** How many socket paths the unit stage grants (tests take them in turn). */
export const SCRATCH_SOCKETS = 64;

/** The socket paths granted in a scratch directory. */
export function scratchSocketPaths(dir: string): string[] {
  return Array.from({ length: SCRATCH_SOCKETS }, (_, i) => `${dir}/sock-${i}.sock`);
}

let next = 0;

/**
 * A socket path nothing is bound to, in the scratch directory (the next of its paths in turn,
 * whatever an earlier test left there removed) or else in a fresh temporary directory.
 */
export async function scratchSocket(): Promise<string> {
  let dir: string | undefined;
  try {
    dir = Deno.env.get(UNIT_SCRATCH_ENV) || undefined;
  } catch {
    dir = undefined; // not allowed to read it: run alone, with wider permissions
  }
  if (dir === undefined) {
    return `${await Deno.makeTempDir({ prefix: "mcast-proxy-ctl-" })}/ctl.sock`;
  }
  const path = scratchSocketPaths(dir)[next++ % SCRATCH_SOCKETS];
  await Deno.remove(path).catch(() => {});
  return path;
}
