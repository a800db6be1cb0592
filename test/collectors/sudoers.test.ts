import { execFile, execFileSync, spawn } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PIDSTAT_MAX_PIDS } from "../../src/collectors/pidstat.js";
import { STRACE_MAX_PIDS } from "../../src/collectors/strace.js";
import { rootCommands } from "../../src/collectors/sudoers.js";
import { type Collector, PID_MAX } from "../../src/collectors/types.js";
import { COLLECTORS } from "../../src/sources/collectors.js";
import { canCreateUsers, createTestUser, type TestUser } from "../helpers/users.js";

const run = promisify(execFile);
const specs = rootCommands(COLLECTORS);
const shipped = readFileSync(new URL("../../deploy/sudoers.d/diagbot", import.meta.url), "utf8");

/**
 * How sudo (>= 1.9.10, sudoers(5) "Command line arguments") matches a command against one
 * `Cmnd` spec: the path exactly; then `""` allows no arguments, `^...$` is a POSIX extended
 * regular expression over the arguments joined by single spaces, and anything else is compared
 * as it stands (the drop-in's literal specs hold no wildcard: checked below).
 */
function specAllows(spec: string, argv: readonly string[]): boolean {
  const space = spec.indexOf(" ");
  const args = spec.slice(space + 1).replace(/\\([\\,:=])/g, "$1");
  if (argv[0] !== spec.slice(0, space)) return false;
  if (args === '""') return argv.length === 1;
  const given = argv.slice(1).join(" ");
  return args.startsWith("^") ? new RegExp(args).test(given) : args === given;
}

const allowed = (argv: readonly string[]) => specs.some((s) => specAllows(s, argv));

/** The root command line of collector `id` for a window and target PIDs (no validation). */
function line(id: string, windowSeconds: number, pids: number[] = []): string[] {
  const c = COLLECTORS.find((x) => x.id === id) as Collector;
  const l = c.command({ windowSeconds, pids, sudo: true, root: false });
  if (!l) throw new Error(`${id} has no command for ${windowSeconds} s and ${pids.length} pids`);
  return l.argv;
}

const range = (from: number, count: number) => Array.from({ length: count }, (_, i) => from + i);
const PID_SETS = [[], [1], [PID_MAX], [42, 4242, 424242], range(300, 8), range(1000, 200)];
const WINDOWED = [
  "pidstat",
  "iotop",
  "perf-stat",
  "bcc-runqlat",
  "bcc-biolatency",
  "bcc-execsnoop",
  "bcc-tcpretrans",
];

describe("the generated sudoers drop-in", () => {
  it("allows every root command line the collectors give, for every window and PID set", () => {
    let checked = 0;
    for (const c of COLLECTORS) {
      for (let w = 1; w <= 60; w++) {
        for (const pids of PID_SETS) {
          const l = c.command({ windowSeconds: w, pids, sudo: true, root: false });
          if (!l?.root || l.script) continue;
          expect(
            allowed(l.argv),
            `${c.id} --window ${w}, ${pids.length} pids: ${l.argv.join(" ")}`,
          ).toBe(true);
          checked++;
        }
      }
    }
    expect(checked).toBeGreaterThan(12 * 60);
  });

  it("refuses a window over 60 s wherever the window shows in the command", () => {
    for (const id of WINDOWED) {
      expect(line(id, 61), id).not.toEqual(line(id, 60));
      expect(allowed(line(id, 61)), `${id}: ${line(id, 61).join(" ")}`).toBe(false);
      expect(allowed(line(id, 600)), id).toBe(false);
    }
    expect(allowed(["/usr/bin/pidstat", "-u", "-d", "-w", "-r", "-h", "1", "999999999"])).toBe(
      false,
    );
    expect(allowed(["/usr/bin/pidstat", "-u", "-d", "-w", "-r", "-h", "1", "0"])).toBe(false);
    expect(allowed(["/usr/bin/pidstat", "-u", "-d", "-w", "-r", "-h", "1", "060"])).toBe(false);
  });

  it("refuses more -p PID pairs than the collectors pass, and PIDs outside 1..pid_max", () => {
    const strace8 = line("strace", 5, range(100, STRACE_MAX_PIDS));
    expect(STRACE_MAX_PIDS).toBe(8);
    expect(allowed(strace8)).toBe(true);
    expect(allowed([...strace8, "-p", "999"])).toBe(false);
    expect(allowed(line("strace", 5, [PID_MAX]))).toBe(true);
    expect(allowed(line("strace", 5, [PID_MAX + 1]))).toBe(false);
    expect(allowed(line("strace", 5, [0]))).toBe(false);
    const pidstatMost = line("pidstat", 5, range(100, PIDSTAT_MAX_PIDS));
    expect(allowed(pidstatMost)).toBe(true);
    const more = [...pidstatMost.slice(0, 6), "-p", "99", ...pidstatMost.slice(6)];
    expect(allowed(more)).toBe(false);
    // No option can slip in where a PID goes.
    expect(allowed([...line("strace", 5, [1]), "-o", "/etc/shadow"])).toBe(false);
  });

  it("runs bcc tools and strace only behind /usr/bin/timeout with a bounded time", () => {
    for (const id of [
      "bcc-runqlat",
      "bcc-biolatency",
      "bcc-execsnoop",
      "bcc-tcpretrans",
      "strace",
    ]) {
      const l = line(id, 5, [42]);
      expect(l.slice(0, 5), id).toEqual(["/usr/bin/timeout", "-s", "INT", "-k", "2"]);
      const tool = l.slice(6);
      expect(allowed(tool), `${id} without timeout: ${tool.join(" ")}`).toBe(false);
      for (const seconds of ["0", "3600", "99999999", "5s", "1d"]) {
        expect(allowed([...l.slice(0, 5), seconds, ...tool]), `${id} for ${seconds}`).toBe(false);
      }
      expect(allowed([...l.slice(0, 3), ...l.slice(5)]), `${id} without -k`).toBe(false);
    }
    expect(allowed(["/usr/bin/timeout", "-s", "INT", "-k", "2", "9", "/bin/sh"])).toBe(false);
    expect(specs.some((s) => /^\/usr\/sbin\/\S*bpfcc /.test(s))).toBe(false);
  });

  it("names sleep by its path, and allows no argument that is not in the templates", () => {
    expect(allowed(["/usr/bin/perf", "stat", "-a", "--", "/usr/bin/sleep", "5"])).toBe(true);
    expect(allowed(["/usr/bin/perf", "stat", "-a", "--", "sleep", "5"])).toBe(false);
    expect(allowed(["/usr/bin/perf", "stat", "-a", "--", "/bin/sh", "5"])).toBe(false);
    expect(allowed(["/usr/bin/dmesg"])).toBe(true);
    expect(allowed(["/usr/bin/dmesg", "-C"])).toBe(false);
    for (const spec of specs) {
      // Literal specs are compared with fnmatch(3): none may hold a wildcard.
      if (!spec.includes(" ^")) expect(spec, spec).not.toMatch(/[*?[\]]/);
      // sudo >= 1.9.14 refuses patterns over 1024 bytes and bounds over 255.
      expect(spec.length, spec).toBeLessThan(1024);
      for (const [, n] of spec.matchAll(/\{\d+\\,(\d+)\}/g)) expect(Number(n)).toBeLessThan(256);
    }
  });
});

/** sudo's version as [major, minor, patch], or undefined when sudo is missing. */
function sudoVersion(): number[] | undefined {
  try {
    const out = execFileSync("sudo", ["-V"], { encoding: "utf8" });
    return /^Sudo version (\d+)\.(\d+)\.(\d+)/m.exec(out)?.slice(1, 4).map(Number);
  } catch {
    return undefined;
  }
}

const version = sudoVersion();
const regexSudo =
  version !== undefined &&
  (version[0] > 1 ||
    (version[0] === 1 && version[1] > 9) ||
    (version[0] === 1 && version[1] === 9 && version[2] >= 10));

describe.runIf(canCreateUsers() && regexSudo)("the shipped drop-in under real sudo", () => {
  let user: TestUser;
  beforeAll(async () => {
    user = await createTestUser({ sudoers: shipped.replace(/\bdiag\b/g, "%USER%") });
  });
  afterAll(async () => {
    await user?.remove();
    // The throw-away user and its drop-in are gone.
    await expect(run("getent", ["passwd", user.name])).rejects.toThrow();
    expect(() => readFileSync(`/etc/sudoers.d/${user.name}`)).toThrow();
  });

  /** `sudo -l -U USER argv...`: exit 0 and the command when the policy allows it. */
  async function listed(argv: string[]): Promise<boolean> {
    try {
      await run("sudo", ["-l", "-U", user.name, ...argv]);
      return true;
    } catch (err) {
      if ((err as { code?: number }).code === 1) return false;
      throw err;
    }
  }

  /** `sudo -n argv...` run as the throw-away user. */
  function asUser(
    argv: string[],
  ): Promise<{ code: number | null; stdout: string; stderr: string }> {
    return new Promise((resolve, reject) => {
      const child = spawn("sudo", ["-n", ...argv], { uid: user.uid, gid: user.uid, cwd: "/" });
      let stdout = "";
      let stderr = "";
      child.stdout.on("data", (b) => (stdout += b));
      child.stderr.on("data", (b) => (stderr += b));
      child.on("error", reject);
      child.on("close", (code) => resolve({ code, stdout, stderr }));
    });
  }

  it("sudo -l allows the collectors' lines and refuses longer windows, more PIDs, bare tools", async () => {
    for (const w of [1, 7, 60]) {
      for (const id of [...WINDOWED, "strace"]) {
        const argv = line(id, w, [1, PID_MAX]);
        // sudo -l says "command not found" for a tool that is not installed.
        if (existsSync(argv[0])) expect(await listed(argv), `${id} ${w}`).toBe(true);
      }
    }
    expect(await listed(line("strace", 5, range(100, 8)))).toBe(true);
    const refused = [
      ["/usr/bin/pidstat", "-u", "-d", "-w", "-r", "-h", "1", "999999999"],
      ...WINDOWED.map((id) => line(id, 61)),
      [...line("strace", 5, range(100, 8)), "-p", "9"],
      line("strace", 5, [PID_MAX + 1]),
      ["/usr/bin/perf", "stat", "-a", "--", "sleep", "5"],
      ["/usr/sbin/execsnoop-bpfcc", "-t", "-x"],
      ["/usr/bin/timeout", "-s", "INT", "-k", "2", "3600", "/usr/sbin/execsnoop-bpfcc", "-t", "-x"],
      ["/usr/bin/dmesg", "-C"],
    ];
    for (const argv of refused) expect(await listed(argv), argv.join(" ")).toBe(false);
  });

  it("sudo -n runs an allowed line as root and refuses a 61-second one", async () => {
    const long = await asUser(line("pidstat", 61));
    expect(long.code).toBe(1);
    expect(long.stderr).toMatch(/a password is required|not allowed/);
    const short = await asUser(line("pidstat", 1));
    expect(short.code, short.stderr).toBe(0);
    expect(short.stdout).toMatch(/\bPID\b.*\bCommand\b/);
  });

  it.runIf(existsSync("/usr/bin/strace"))(
    "sudo -n runs strace behind the root timeout, which stops it",
    async () => {
      // A process that makes system calls: strace -c prints nothing for an idle one.
      const target = spawn("sh", ["-c", "while :; do sleep 0.2; done"]);
      try {
        const started = Date.now();
        const r = await asUser(line("strace", 1, [target.pid as number]));
        expect(r.code, r.stderr).toBe(124);
        expect(Date.now() - started).toBeLessThan(4000);
        expect(r.stderr).toMatch(/% time|total/);
      } finally {
        target.kill("SIGKILL");
      }
    },
  );
});
