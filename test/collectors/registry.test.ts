import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { buildCommand } from "../../src/collectors/command.js";
import { renderSudoers, rootCommands } from "../../src/collectors/sudoers.js";
import { plannedIds } from "../../src/engine/plan.js";
import { COLLECTORS } from "../../src/sources/collectors.js";
import { loadParser, SOURCES } from "../../src/sources/index.js";
import { checkSudoers } from "../helpers/users.js";

const ids = COLLECTORS.map((c) => c.id);

describe("collector registry", () => {
  it("has unique source ids; every collector is a source, and every parser loads", async () => {
    const sourceIds = SOURCES.map((s) => s.id);
    expect(new Set(sourceIds).size).toBe(sourceIds.length);
    expect(ids).toEqual(sourceIds.filter((id) => ids.includes(id)));
    for (const id of sourceIds)
      expect(typeof (await loadParser(id)), `parser of ${id}`).toBe("function");
    expect(await loadParser("no-such-source")).toBeUndefined();
  });

  it("plans only collectors that exist", () => {
    for (const id of plannedIds()) expect(ids, `planned collector ${id}`).toContain(id);
  });

  it("names root commands by absolute path and never runs scripts under sudo", () => {
    const ctx = { windowSeconds: 5, pids: [42], sudo: true, root: false };
    for (const c of COLLECTORS) {
      const line = c.command(ctx);
      if (!line?.root || line.script) continue;
      expect(line.argv[0], c.id).toMatch(/^\//);
    }
  });

  it("puts every command behind the host-side timeout with the C locale and ISO times", () => {
    const ctx = { windowSeconds: 7, pids: [42], sudo: false, root: true };
    for (const c of COLLECTORS) {
      const built = buildCommand(c, ctx);
      if (!built) continue;
      expect(built.text, c.id).toMatch(
        /^timeout -s INT -k 2 \d+ env LC_ALL=C S_TIME_FORMAT=ISO PATH=/,
      );
      if (c.cost !== "cheap") expect(built.text, c.id).toContain("nice -n 10 ionice -c 2 -n 7");
      if (c.spansWindow) expect(built.seconds, c.id).toBe(c.timeoutSeconds + 7);
    }
  });

  it("runs in a window script without env, and a read of kernel state also without its timeout", () => {
    const ctx = { windowSeconds: 7, pids: [42], sudo: false, root: true };
    const kernelOnly = [];
    for (const c of COLLECTORS) {
      const built = buildCommand(c, ctx);
      if (!built) continue;
      const line = c.command(ctx)!;
      expect(built.inWindow, c.id).not.toContain("env LC_ALL");
      if (line.unless) {
        // A stand-in checks for the preferred tool unbounded, then starts its own bounded.
        expect(built.inWindow, c.id).toContain(`command -v ${line.unless.tool} `);
        expect(built.inWindow, c.id).toMatch(
          new RegExp(`\\nexec timeout -s INT -k 2 \\d+ ${line.argv.join(" ")}\\n$`),
        );
        continue;
      }
      if (!line.readsKernelOnly) {
        expect(built.inWindow, c.id).toMatch(/^timeout -s INT -k 2 \d+ /);
        expect(
          built.text.endsWith(built.inWindow.replace(/^timeout -s INT -k 2 \d+ /, "")),
          c.id,
        ).toBe(true);
        continue;
      }
      kernelOnly.push(c.id);
      expect(built.inWindow, c.id).not.toMatch(/\btimeout\b/);
      if (line.script) {
        // A subshell of the window script: the script's own text, every path in /proc or /sys.
        expect(built.inWindow, c.id).toBe(line.script);
        // A path starts a word or a quoted string (`"$m"/ce_count` is relative to a variable).
        const paths = line.script.match(/(?<=(?:^|[\s=<>(|;'])"?)\/[a-z][\w/.*[\]-]*/gm) ?? [];
        expect(paths.length, c.id).toBeGreaterThan(0);
        for (const path of paths) {
          expect(path, c.id).toMatch(/^\/(proc|sys)\/|^\/dev\/null$/);
        }
        continue;
      }
      expect(built.text.endsWith(built.inWindow), c.id).toBe(true);
      expect(line.argv[0], c.id).toBe("cat");
      for (const path of line.argv.filter((a) => a.startsWith("/"))) {
        expect(path, c.id).toMatch(/^\/proc\//);
      }
    }
    expect(kernelOnly).toEqual(expect.arrayContaining(["proc-stat", "cgroup-cpu", "edac"]));
    // What can wait on a disk, a device, a daemon or another process keeps its bound, and so
    // does every tool, whatever it reads: a wrapper of that name can hang.
    const bounded = ["df", "smartctl", "top", "proc-fds", "ethtool-stats", "chronyc-tracking"];
    for (const id of [...bounded, "dmesg", "free", "vmstat", "nstat", "sysctl"]) {
      expect(kernelOnly, id).not.toContain(id);
    }
  });

  it("runs root commands as sudo -n /exact/path on sudo hosts", () => {
    const ctx = { windowSeconds: 5, pids: [42], sudo: true, root: false };
    const rooted = COLLECTORS.filter((c) => c.command(ctx)?.root && !c.command(ctx)?.script);
    expect(rooted.length).toBeGreaterThan(0);
    for (const c of rooted) expect(buildCommand(c, ctx)!.text, c.id).toMatch(/ sudo -n \//);
  });
});

describe("deploy/sudoers.d/diagbot", () => {
  const shipped = readFileSync(new URL("../../deploy/sudoers.d/diagbot", import.meta.url), "utf8");

  it("is exactly what `diagbot sudoers --user diag` prints", () => {
    expect(shipped).toBe(renderSudoers("diag", COLLECTORS));
  });

  it("is accepted by visudo -c", async () => {
    await checkSudoers(shipped);
  });

  it("allows digits only where the window or a PID goes", () => {
    for (const spec of rootCommands(COLLECTORS)) {
      expect(spec).not.toMatch(/(^| )\*( |$)/);
      // A bare path would allow any arguments (`dmesg -C` clears the kernel log).
      expect(spec, spec).toMatch(/^\/\S+ \S/);
      if (spec.includes("^")) expect(spec).toMatch(/\$$/);
    }
  });
});
