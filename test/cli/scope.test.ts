import { existsSync, readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { runCli } from "../helpers/cli.js";

/**
 * `--pid` and `--process` on this machine: a PID or a name that matches no running process is
 * said in the report's notes, and the diagnosis still completes.
 */

/** A PID no process has now: counted down from pid_max. */
function unusedPid(): number {
  const max = Number(readFileSync("/proc/sys/kernel/pid_max", "utf8"));
  let pid = max - 1;
  while (existsSync(`/proc/${pid}`)) pid--;
  return pid;
}

/** `diagnose local cpu` over a 1 s window, scoped with `--pid` or `--process`. */
const diagnoseCpu = (option: "--pid" | "--process", value: string) =>
  runCli(["diagnose", "local", "cpu", "--window", "1", "--json", option, value]);

describe("diagnose local --pid / --process", () => {
  it("says when no process has the PID or the name, and diagnoses anyway", async () => {
    const pid = unusedPid();
    const r = await diagnoseCpu("--pid", String(pid));
    expect(r.code, r.stderr).toBe(0);
    expect(r.json.notes).toContain(`no process with pid ${pid} runs on local`);
    expect(r.json.collectors.length).toBeGreaterThan(5);

    const named = await diagnoseCpu("--process", "diagbot-nosuch");
    expect(named.code, named.stderr).toBe(0);
    expect(named.json.notes).toContain("no process named diagbot-nosuch runs on local");
  });

  it("says nothing of the kind for a process that runs", async () => {
    const r = await diagnoseCpu("--pid", String(process.pid));
    expect(r.code, r.stderr).toBe(0);
    expect(r.json.notes.filter((n: string) => n.startsWith("no process"))).toEqual([]);
  });
});
