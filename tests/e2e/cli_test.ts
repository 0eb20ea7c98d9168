// The command line of the daemon: flags, exit codes and what goes to stdout and stderr. Each
// test runs `deno run main.ts` with flags on configurations written to a temporary directory
// (the working directory of the run, so file names in messages are the short ones). Nothing
// here starts the proxy, so no root is needed.

import assert from "node:assert/strict";
import { denoRunArgv } from "../lab/lab.ts";

const MAIN = new URL("../../main.ts", import.meta.url);
const DENO_JSON = new URL("../../deno.json", import.meta.url);

/** What a run of the daemon left behind. */
interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs main.ts with `args` in `cwd`. */
async function runDaemon(args: string[], cwd: string): Promise<RunResult> {
  const [cmd, ...rest] = denoRunArgv(MAIN, args, ["--allow-all"]);
  const out = await new Deno.Command(cmd, {
    args: rest,
    cwd,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
    env: { DENO_NO_UPDATE_CHECK: "1", NO_COLOR: "1" },
  }).output();
  const text = new TextDecoder();
  return { code: out.code, stdout: text.decode(out.stdout), stderr: text.decode(out.stderr) };
}

/** Writes `files` (name → text) to a new temporary directory, runs `fn` in it, removes it. */
async function withFiles(
  files: Record<string, string>,
  fn: (dir: string) => Promise<void>,
): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "mcast-proxy-cli-" });
  try {
    for (const [name, text] of Object.entries(files)) {
      const slash = name.lastIndexOf("/");
      if (slash > 0) await Deno.mkdir(`${dir}/${name.slice(0, slash)}`, { recursive: true });
      await Deno.writeTextFile(`${dir}/${name}`, text);
      await Deno.chmod(`${dir}/${name}`, 0o644);
    }
    await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

/** Non-empty lines of an output. */
function lines(s: string): string[] {
  return s.split("\n").filter((l) => l !== "");
}

/** A valid configuration whose `ttl` macro shows up as em1's threshold. */
const GOOD = `# upstream and one LAN
ttl = 3
interface em0 {
	source 192.0.2.0/24
	upstream
}
interface em1 {
	threshold $ttl
	downstream
}
`;

/** Errors on lines 1, 2 and 4, and no upstream at all. */
const BAD = `interface em0 { upstrem }
interface em1 { threshold 0
	downstream }
mtu 1500
`;

/** Every flag the usage message must mention. */
const FLAGS = ["-d", "-D macro=value", "-f", "--conf", "-n", "-v", "--help", "--version"];

function assertUsage(text: string): void {
  assert.match(text, /^usage: mcast-proxy /m);
  for (const flag of FLAGS) assert.ok(text.includes(flag), `usage does not mention ${flag}`);
}

Deno.test("cli: --help and -h print the usage on stdout and exit 0", async () => {
  await withFiles({}, async (dir) => {
    for (const flag of ["--help", "-h"]) {
      const r = await runDaemon([flag], dir);
      assert.equal(r.code, 0, flag);
      assertUsage(r.stdout);
      assert.equal(r.stderr, "", flag);
    }
  });
});

Deno.test("cli: --version prints the version of deno.json and exits 0", async () => {
  const { version } = JSON.parse(await Deno.readTextFile(DENO_JSON));
  await withFiles({}, async (dir) => {
    const r = await runDaemon(["--version"], dir);
    assert.equal(r.code, 0);
    assert.match(r.stdout, /^mcast-proxy \d+\.\d+\.\d+\n$/);
    assert.equal(r.stdout, `mcast-proxy ${version}\n`);
    assert.equal(r.stderr, "");
  });
});

Deno.test("cli: an unknown flag or a stray argument prints the usage on stderr and exits 1", async () => {
  await withFiles({ "good.conf": GOOD }, async (dir) => {
    for (const args of [["-x"], ["--bogus"], ["-n", "-f", "good.conf", "extra"]]) {
      const r = await runDaemon(args, dir);
      assert.equal(r.code, 1, args.join(" "));
      assert.equal(r.stdout, "", args.join(" "));
      assertUsage(r.stderr);
      const [first] = lines(r.stderr);
      assert.ok(first.includes(args[args.length - 1]), `${first} does not name the culprit`);
    }
  });
});

Deno.test("cli: a flag without its value names the flag as typed, with the usage, exit 1", async () => {
  await withFiles({}, async (dir) => {
    for (
      const [args, first] of [
        [["-f"], "mcast-proxy: option -f needs a value"],
        [["--conf"], "mcast-proxy: option --conf needs a value"],
        [["-n", "-D"], "mcast-proxy: option -D needs a value"],
      ] as const
    ) {
      const r = await runDaemon([...args], dir);
      assert.equal(r.code, 1, args.join(" "));
      assert.equal(r.stdout, "");
      assert.equal(lines(r.stderr)[0], first);
      assertUsage(r.stderr);
    }
  });
});

Deno.test("cli: -n with a valid file prints configuration OK and exits 0", async () => {
  await withFiles({ "good.conf": GOOD }, async (dir) => {
    const r = await runDaemon(["-n", "-f", "good.conf"], dir);
    assert.deepEqual(r, { code: 0, stdout: "configuration OK\n", stderr: "" });
  });
});

Deno.test("cli: -nv prints the canonical configuration, then configuration OK", async () => {
  await withFiles({ "good.conf": GOOD }, async (dir) => {
    const r = await runDaemon(["-nv", "-f", "good.conf"], dir);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stderr, "");
    assert.ok(r.stdout.endsWith("\nconfiguration OK\n"), r.stdout);
    const printed = r.stdout.slice(0, -"configuration OK\n".length);
    const out = lines(printed);
    // Macros expanded, comments gone, one statement per line.
    for (const l of ["interface em0 {", "\tsource 192.0.2.0/24", "\tupstream", "}"]) {
      assert.ok(out.includes(l), `missing ${JSON.stringify(l)} in:\n${printed}`);
    }
    assert.ok(out.includes("\tthreshold 3"), printed);
    assert.ok(!printed.includes("$") && !printed.includes("#") && !printed.includes("ttl"));
    // The canonical form is itself a valid configuration, printed the same way.
    await Deno.writeTextFile(`${dir}/printed.conf`, printed);
    const again = await runDaemon(["-nv", "-f", "printed.conf"], dir);
    assert.deepEqual(again, { code: 0, stdout: r.stdout, stderr: "" });
  });
});

Deno.test("cli: --conf is a synonym of -f", async () => {
  await withFiles({ "good.conf": GOOD }, async (dir) => {
    const long = await runDaemon(["-nv", "--conf", "good.conf"], dir);
    const short = await runDaemon(["-nv", "-f", "good.conf"], dir);
    assert.equal(long.code, 0, long.stderr);
    assert.deepEqual(long, short);
  });
});

Deno.test("cli: -D overrides the file's macro", async () => {
  await withFiles({ "good.conf": GOOD }, async (dir) => {
    const r = await runDaemon(["-nv", "-D", "ttl=7", "-f", "good.conf"], dir);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stderr, "");
    const out = lines(r.stdout);
    assert.ok(out.includes("\tthreshold 7"), r.stdout);
    assert.ok(!out.includes("\tthreshold 3"), r.stdout);
    // Several -D, one of them for a macro the file does not define.
    const two = await runDaemon(["-nv", "-D", "ttl=9", "-D", "unused=x", "-f", "good.conf"], dir);
    assert.equal(two.code, 0, two.stderr);
    assert.ok(lines(two.stdout).includes("\tthreshold 9"), two.stdout);
  });
});

Deno.test("cli: -D without a macro name or an = is an error", async () => {
  await withFiles({ "good.conf": GOOD }, async (dir) => {
    for (const def of ["ttl", "=3", "1x=3"]) {
      const r = await runDaemon(["-n", "-D", def, "-f", "good.conf"], dir);
      assert.equal(r.code, 1, def);
      assert.equal(r.stdout, "", def);
      const err = lines(r.stderr);
      assert.equal(err.length, 1, r.stderr);
      assert.ok(err[0].startsWith("mcast-proxy: ") && err[0].includes(def), err[0]);
    }
  });
});

Deno.test("cli: -n with a bad file reports every error as file:line:col and exits 1", async () => {
  await withFiles({ "bad.conf": BAD }, async (dir) => {
    const r = await runDaemon(["-n", "-f", "bad.conf"], dir);
    assert.equal(r.code, 1);
    assert.equal(r.stdout, "");
    const err = lines(r.stderr);
    for (const l of err) assert.match(l, /^bad\.conf:\d+:\d+: \S/);
    const at = (where: string) => err.find((l) => l.startsWith(`bad.conf:${where}: `));
    assert.match(at("1:17") ?? "", /"upstrem".*did you mean "upstream"/);
    assert.match(at("2:27") ?? "", /threshold "0"/);
    assert.match(at("4:1") ?? "", /"mtu"/);
    assert.ok(err.some((l) => /no upstream/.test(l)), r.stderr);
    assert.equal(err.length, 4, r.stderr);
  });
});

Deno.test("cli: warnings go to stderr as file:line:col: warning: and the check passes", async () => {
  const conf =
    "interface em0 {\n\tsource 10.0.0.1/8\n\tupstream\n}\ninterface em1 { downstream }\n";
  await withFiles({ "warn.conf": conf }, async (dir) => {
    const r = await runDaemon(["-n", "-f", "warn.conf"], dir);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, "configuration OK\n");
    const err = lines(r.stderr);
    assert.equal(err.length, 1, r.stderr);
    assert.match(err[0], /^warn\.conf:2:9: warning: .*10\.0\.0\.0\/8/);
  });
});

Deno.test("cli: a missing configuration file is one clear error, exit 1", async () => {
  await withFiles({}, async (dir) => {
    for (const flag of ["-f", "--conf"]) {
      const r = await runDaemon(["-n", flag, "missing.conf"], dir);
      assert.equal(r.code, 1);
      assert.equal(r.stdout, "");
      const err = lines(r.stderr);
      assert.equal(err.length, 1, r.stderr);
      assert.match(err[0], /^mcast-proxy: .*"missing\.conf".*no such file/);
    }
  });
});

Deno.test("cli: includes are read relative to the including file and refused when unsafe", async () => {
  const files = {
    "etc/main.conf": 'interface em0 { upstream }\ninclude "lans.inc"\n',
    "etc/lans.inc": "interface em1 { downstream }\ninterface em2 { threshold 0 }\n",
  };
  await withFiles(files, async (dir) => {
    const r = await runDaemon(["-n", "-f", "etc/main.conf"], dir);
    assert.equal(r.code, 1);
    assert.deepEqual(lines(r.stderr).map((l) => l.split(": ")[0]), ["etc/lans.inc:2:27"]);

    await Deno.writeTextFile(`${dir}/etc/lans.inc`, "interface em1 { downstream }\n");
    const ok = await runDaemon(["-nv", "-f", "etc/main.conf"], dir);
    assert.equal(ok.code, 0, ok.stderr);
    assert.ok(lines(ok.stdout).includes("interface em1 {"), ok.stdout);

    await Deno.chmod(`${dir}/etc/lans.inc`, 0o664);
    const unsafe = await runDaemon(["-n", "-f", "etc/main.conf"], dir);
    assert.equal(unsafe.code, 1);
    const err = lines(unsafe.stderr);
    assert.equal(err.length, 1, unsafe.stderr);
    assert.match(err[0], /^etc\/main\.conf:2:9: .*lans\.inc.*writable/);
  });
});

Deno.test("cli: output that cannot be written is one line on stderr and exit 1", async () => {
  await withFiles({ "good.conf": GOOD }, async (dir) => {
    for (const args of [["-nv", "-f", "good.conf"], ["--version"], ["--help"]]) {
      const [cmd, ...rest] = denoRunArgv(MAIN, args, ["--allow-all"]);
      const quoted = [cmd, ...rest].map((a) => `'${a.replaceAll("'", `'\\''`)}'`).join(" ");
      const out = await new Deno.Command("sh", {
        args: ["-c", `${quoted} > /dev/full`],
        cwd: dir,
        stdin: "null",
        stderr: "piped",
        env: { DENO_NO_UPDATE_CHECK: "1", NO_COLOR: "1" },
      }).output();
      const stderr = new TextDecoder().decode(out.stderr);
      assert.equal(out.code, 1, `${args.join(" ")}: ${stderr}`);
      assert.deepEqual(lines(stderr), [
        "mcast-proxy: cannot write to standard output: No space left on device (os error 28)",
      ]);
    }
  });
});

Deno.test("cli: an IPv4-mapped IPv6 source is an error that gives the IPv4 form, exit 1", async () => {
  const mapped = GOOD.replace("source 192.0.2.0/24", "source ::ffff:192.0.2.0/120");
  await withFiles({ "mapped.conf": mapped }, async (dir) => {
    const r = await runDaemon(["-n", "-f", "mapped.conf"], dir);
    assert.equal(r.code, 1);
    assert.equal(r.stdout, "");
    assert.deepEqual(lines(r.stderr), [
      'mapped.conf:4:9: source "::ffff:192.0.2.0/120" is an IPv4-mapped IPv6 prefix: write it as ' +
      "192.0.2.0/24",
    ]);
  });
});

Deno.test("cli: -n says what IPv6 will not do, and refuses a configuration that proxies nothing", async () => {
  const files = {
    "threshold.conf": "ipv6 yes\ninterface em0 { upstream }\ninterface em1 { downstream\n" +
      "threshold 3 }\n",
    "up-off.conf": "ipv6 yes\ninterface em0 { upstream\nipv6 no }\ninterface em1 { downstream }\n",
    "nothing.conf": "ipv4 no\nipv6 yes\ninterface em0 { upstream\nipv6 no }\n" +
      "interface em1 { downstream }\n",
  };
  await withFiles(files, async (dir) => {
    const threshold = await runDaemon(["-n", "-f", "threshold.conf"], dir);
    assert.equal(threshold.code, 0, threshold.stderr);
    assert.equal(threshold.stdout, "configuration OK\n");
    assert.deepEqual(lines(threshold.stderr), [
      'mcast-proxy: warning: Interface "em1": threshold 3 applies to IPv4 only (the kernel keeps ' +
      "no TTL threshold per IPv6 interface)",
    ]);
    const upOff = await runDaemon(["-n", "-f", "up-off.conf"], dir);
    assert.equal(upOff.code, 0, upOff.stderr);
    assert.deepEqual(lines(upOff.stderr), [
      "mcast-proxy: warning: IPv6 is not proxied: the upstream interface has IPv6 off",
    ]);
    const nothing = await runDaemon(["-n", "-f", "nothing.conf"], dir);
    assert.equal(nothing.code, 1);
    assert.equal(nothing.stdout, "");
    assert.deepEqual(lines(nothing.stderr), [
      "mcast-proxy: nothing.conf: Nothing to proxy: IPv4 is off on every interface, and the " +
      "upstream interface has IPv6 off",
    ]);
  });
});

Deno.test("cli: the shipped example configuration and the README's example pass -n", async () => {
  const example = await Deno.readTextFile(
    new URL("../../conf/mcast-proxy.conf.example", import.meta.url),
  );
  const readme = await Deno.readTextFile(new URL("../../README.md", import.meta.url));
  // The README's annotated example: the code block that starts with its file name.
  const block = /```\n(# \/etc\/mcast-proxy\.conf\n[\s\S]*?)```/.exec(readme);
  assert.ok(block !== null, "the README has an example that starts with # /etc/mcast-proxy.conf");
  await withFiles({ "example.conf": example, "readme.conf": block[1] }, async (dir) => {
    for (const name of ["example.conf", "readme.conf"]) {
      const r = await runDaemon(["-n", "-f", name], dir);
      assert.deepEqual(r, { code: 0, stdout: "configuration OK\n", stderr: "" }, name);
    }
  });
});
