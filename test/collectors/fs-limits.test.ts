import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { clocksource } from "../../src/collectors/clocksource.js";
import { deletedOpenFiles } from "../../src/collectors/deleted-open-files.js";
import { df, dfInodes } from "../../src/collectors/df.js";
import { fileNr } from "../../src/collectors/file-nr.js";
import { openFiles } from "../../src/collectors/open-files.js";
import { pressureCpu, pressureIo, pressureMemory } from "../../src/collectors/pressure.js";
import { procFds } from "../../src/collectors/proc-fds.js";
import { procLimits } from "../../src/collectors/proc-limits.js";
import { sysctl } from "../../src/collectors/sysctl.js";
import type { Collector, CommandContext } from "../../src/collectors/types.js";
import { parseDeletedOpenFiles } from "../../src/parsers/deleted-open-files.js";
import { linesOf } from "../../src/parsers/lines.js";
import { parseProcFds } from "../../src/parsers/proc-fds.js";
import { parseProcLimits } from "../../src/parsers/proc-limits.js";
import { parseSysctl } from "../../src/parsers/sysctl.js";
import { loadParser } from "../../src/sources/index.js";

const ctx: CommandContext = { windowSeconds: 5, pids: [], sudo: false, root: false };
const isRoot = process.getuid?.() === 0;

/** Runs a collector's command here (its script, or its argv) under LC_ALL=C. */
function run(c: Collector, context: CommandContext = ctx) {
  const line = c.command(context)!;
  const [cmd, ...args] = line.script ? ["sh", "-c", line.script] : line.argv;
  return spawnSync(cmd, args, { encoding: "utf8", env: { ...process.env, LC_ALL: "C" } });
}

describe("filesystem, limits and pressure collectors", () => {
  it("use fixed command lines; root ones name the absolute path", () => {
    expect(df.command(ctx)?.argv).toEqual(["df", "-lPkT"]);
    expect(dfInodes.command(ctx)?.argv).toEqual(["df", "-lPiT"]);
    expect(sysctl.command(ctx)?.argv.slice(0, 2)).toEqual(["sysctl", "-e"]);
    expect(fileNr.command(ctx)?.argv).toEqual(["cat", "/proc/sys/fs/file-nr"]);
    expect(pressureIo.command(ctx)?.argv).toEqual(["cat", "/proc/pressure/io"]);
    for (const c of [pressureCpu, pressureMemory, pressureIo]) expect(c.windowed).toBe(true);
    expect(deletedOpenFiles.command(ctx)).toEqual({
      argv: ["/usr/bin/lsof", "-b", "-n", "-w", "+L1"],
      root: true,
    });
    expect(openFiles.command(ctx)).toEqual({
      argv: ["/usr/bin/lsof", "-b", "-n", "-w"],
      root: true,
    });
    expect(openFiles.cost).toBe("sampling");
  });

  it("put only integer pids in the proc scripts", () => {
    expect(procLimits.command(ctx)).toBeNull();
    const bad = { ...ctx, pids: [12, 12, -1, 1.5, Number.NaN, 34] };
    const script = procLimits.command(bad)!.script!;
    expect(script).toContain("for p in 12 34; do");
    expect(procFds.command(bad)!.script).toContain('want="12 34"');
  });

  it.each([df, dfInodes, fileNr, clocksource, pressureCpu, pressureMemory, pressureIo])(
    "$id runs here and its output parses",
    async (c) => {
      const r = run(c);
      if (r.status !== 0 && c.id.startsWith("pressure")) return; // a kernel without PSI
      expect(r.status).toBe(0);
      const parse = (await loadParser(c.id))!;
      expect(() => parse(linesOf(r.stdout))).not.toThrow();
    },
  );

  it("sysctl -e prints the keys that exist and exits 0 when one is missing", () => {
    const line = sysctl.command(ctx)!;
    const r = spawnSync(line.argv[0], [...line.argv.slice(1), "net.no_such.key"], {
      encoding: "utf8",
    });
    expect(r.status).toBe(0);
    const facts = parseSysctl(linesOf(r.stdout)).facts as { values: Record<string, string> };
    expect(Object.hasOwn(facts.values, "kernel.pid_max")).toBe(true);
    expect(Object.hasOwn(facts.values, "net.no_such.key")).toBe(false);
  });

  it("proc-fds counts this process's own descriptors and keeps a target pid", () => {
    const r = run(procFds, { ...ctx, pids: [process.pid] });
    expect(r.status).toBe(0);
    const facts = parseProcFds(linesOf(r.stdout)).facts as {
      rows: { pid: number; nfds: number | null }[];
      processes: number;
    };
    const me = facts.rows.find((row) => row.pid === process.pid);
    expect(me?.nfds).toBeGreaterThan(2);
    expect(facts.processes).toBeGreaterThan(1);
  });

  it("proc-limits reads this process's limits", () => {
    const r = run(procLimits, { ...ctx, pids: [process.pid] });
    const facts = parseProcLimits(linesOf(r.stdout)).facts as {
      processes: { pid: number; limits: Record<string, unknown> }[];
    };
    expect(facts.processes[0].pid).toBe(process.pid);
    expect(facts.processes[0].limits).toHaveProperty("max_open_files");
  });

  it.skipIf(!isRoot || !existsSync("/usr/bin/lsof"))(
    `lsof +L1 runs here and its output parses${isRoot ? "" : " (skipped: not root)"}`,
    () => {
      const r = run(deletedOpenFiles);
      expect(() => parseDeletedOpenFiles(linesOf(r.stdout))).not.toThrow();
    },
  );
});
