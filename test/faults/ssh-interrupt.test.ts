import { execFileSync } from "node:child_process";
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { hostTmpCleanup } from "../../src/collectors/host-tmp.js";
import { perfReportScript } from "../../src/collectors/perf-report.js";
import { perfSchedScript } from "../../src/collectors/perf-sched.js";
import { runCli, spawnCli } from "../helpers/cli.js";
import { killMarked, marked, until } from "../helpers/run-marker.js";
import { type SshdHandle, startSshd } from "../helpers/sshd.js";

/**
 * Nothing is left on the host: an interrupted `--deep` diagnosis over a loopback sshd stops
 * every remote command at once (the watchdog of src/transport/watchdog.ts), and perf's
 * temporary folders are removed even when perf ignores SIGINT and the script is killed before
 * its trap. The run's own processes are found by their `DIAGBOT_RUN` marker, never by global
 * counts.
 */

const PARENT = `/tmp/diagbot.${process.getuid?.() ?? 0}`;

/** The pid of a process that has ended (so a folder named after it is stale). */
function deadPid(): number {
  return Number(execFileSync("sh", ["-c", "sh -c 'echo $$'"], { encoding: "utf8" }).trim());
}

describe("an interrupted SSH diagnosis leaves nothing on the host", () => {
  let sshd: SshdHandle;
  beforeAll(async () => {
    sshd = await startSshd();
  });
  afterAll(async () => {
    await sshd?.stop();
  });

  it("SIGINT during --deep --window 30: exit 130, every remote process gone within 5 s", async () => {
    const marker = `t${process.pid}x${Date.now()}`;
    const cli = spawnCli(["diagnose", "test-host", "cpu", "--deep", "--window", "30", "--json"], {
      DIAGBOT_INVENTORY: sshd.inventory,
      DIAGBOT_RUN: marker,
    });
    try {
      // Wait until the samplers and perf run on the host.
      const running = await until(() => {
        const procs = marked(marker);
        return procs.some((p) => p.comm === "perf") && procs.some((p) => p.comm === "sleep")
          ? procs
          : undefined;
      }, 45_000);
      expect(running, `no perf with the marker appeared; stderr: ${cli.stderr()}`).toBeDefined();
      await new Promise((r) => setTimeout(r, 1000));
      const before = marked(marker);
      const interruptedAt = Date.now();
      expect(await cli.stop("SIGINT"), cli.stderr()).toBe(130);
      // 2 s: the `-k 2` grace of every `timeout`, and the watchdog's last sweep of the session;
      // the rest is slack for a loaded 2-core machine.
      const gone = await until(() => (marked(marker).length === 0 ? true : undefined), 5000);
      const seconds = (Date.now() - interruptedAt) / 1000;
      console.log(`remote processes gone ${seconds.toFixed(2)} s after SIGINT`);
      expect(gone, `left: ${JSON.stringify(marked(marker))}`).toBe(true);
      // No perf folder of the run's scripts is left either.
      const pids = new Set(before.map((p) => String(p.pid)));
      const left = existsSync(PARENT)
        ? readdirSync(PARENT).filter((n) => pids.has(n.split(".").pop()!))
        : [];
      expect(left).toEqual([]);
    } finally {
      cli.child.kill("SIGKILL");
      killMarked(marker);
    }
  }, 90_000);
});

describe("an interrupted local diagnosis leaves nothing behind", () => {
  it("SIGINT during --window 10: exit 130, the window script's folder of outputs removed", async () => {
    const marker = `l${process.pid}x${Date.now()}`;
    const cli = spawnCli(["diagnose", "local", "health", "--window", "10"], {
      DIAGBOT_RUN: marker,
    });
    try {
      // The window script's folder is batch.<its pid>, made before its samplers start.
      const folder = await until(() => {
        const shells = marked(marker).filter((p) => p.comm === "sh");
        const made = shells.map((p) => join(PARENT, `batch.${p.pid}`)).find(existsSync);
        return made && marked(marker).some((p) => p.comm === "vmstat") ? made : undefined;
      }, 30_000);
      expect(folder, `no window folder appeared; stderr: ${cli.stderr()}`).toBeDefined();
      expect(readdirSync(folder!).length).toBeGreaterThan(0);
      expect(await cli.stop("SIGINT"), cli.stderr()).toBe(130);
      // Unredacted outputs are not left for the next run to find: the script's trap ran.
      expect(existsSync(folder!)).toBe(false);
      const gone = await until(() => (marked(marker).length === 0 ? true : undefined), 5000);
      expect(gone, `left: ${JSON.stringify(marked(marker))}`).toBe(true);
    } finally {
      cli.child.kill("SIGKILL");
      killMarked(marker);
    }
  });
});

describe("perf's temporary folders are removed without the script's trap", () => {
  let fake: string;
  beforeAll(() => {
    // A `perf` that notes its output path and ignores SIGINT, in PATH for these scripts only.
    fake = mkdtempSync(join(tmpdir(), "diagbot-test-deaf-perf-"));
    writeFileSync(
      join(fake, "perf"),
      `#!/bin/sh\ntrap '' INT\nfor a; do case "$a" in */perf.data) echo "$a" > "${fake}/note";; esac; done\nsleep 20\n`,
      { mode: 0o755 },
    );
  });
  afterAll(() => rmSync(fake, { recursive: true, force: true }));

  /** Runs a perf script under the collectors' host-side bound, cut after 1 s. */
  function interrupted(script: string): string {
    rmSync(join(fake, "note"), { force: true });
    try {
      execFileSync("timeout", ["-s", "INT", "-k", "2", "1", "sh", "-c", script], {
        env: { ...process.env, PATH: `${fake}:${process.env.PATH}` },
        stdio: "ignore",
      });
    } catch {
      // timeout exits 137 after its SIGKILL
    }
    return dirname(readFileSync(join(fake, "note"), "utf8").trim());
  }

  it("a killed script's folder is removed by the cleanup command and by the next run", () => {
    const sched = interrupted(perfSchedScript(5));
    expect(sched.startsWith(`${PARENT}/sched.`)).toBe(true);
    expect(existsSync(sched), "the trap could not run: the folder is left").toBe(true);
    execFileSync("sh", ["-c", hostTmpCleanup().script!]);
    expect(existsSync(sched)).toBe(false);

    const report = interrupted(perfReportScript(5));
    expect(existsSync(report)).toBe(true);
    // The next perf script removes it before recording (its own perf fails at once here).
    writeFileSync(join(fake, "perf"), "#!/bin/sh\nexit 1\n", { mode: 0o755 });
    try {
      execFileSync("sh", ["-c", perfSchedScript(1)], {
        env: { ...process.env, PATH: `${fake}:${process.env.PATH}` },
        stdio: "ignore",
      });
    } catch {
      // perf failed, as intended
    }
    expect(existsSync(report)).toBe(false);
  });

  it("the engine removes stale folders after a --deep collection", async () => {
    mkdirSync(PARENT, { recursive: true, mode: 0o700 });
    const stale = join(PARENT, `sched.${deadPid()}`);
    mkdirSync(stale);
    writeFileSync(join(stale, "perf.data"), "x");
    const r = await runCli(["diagnose", "local", "cpu", "--deep", "--window", "1", "--json"]);
    expect(r.code, r.stderr).toBe(0);
    expect(existsSync(stale)).toBe(false);
  }, 90_000);
});
