import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCli } from "../helpers/cli.js";
import { fixturePath } from "../helpers/fixtures.js";

/**
 * `--pid` and `--process` on this machine (DESIGN.md "CLI contract"): a scope that matches no
 * running process is a usage error (exit 2) before anything is collected; a name is any `comm`
 * value, spaces, slashes and colons included, matched against the real `ps` listing. With
 * `--from`, options that only steer a live collection are said to be ignored.
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

const dir = mkdtempSync(join(tmpdir(), "diagbot-test-scope-"));
const children: ChildProcess[] = [];

/** Waits until /proc/PID/comm reads `comm`. */
async function named(child: ChildProcess, comm: string): Promise<void> {
  for (let i = 0; i < 100; i++) {
    try {
      if (readFileSync(`/proc/${child.pid}/comm`, "utf8").trimEnd() === comm) return;
    } catch {}
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`process ${child.pid} never took the name ${comm}`);
}

beforeAll(async () => {
  // A real program whose file name, hence comm, has a space.
  const web = join(dir, "Web Content");
  copyFileSync("/bin/sleep", web);
  children.push(spawn(web, ["120"], { stdio: "ignore" }));
  // A process that names itself as a kernel worker does (prctl PR_SET_NAME = 15).
  children.push(
    spawn(
      "python3",
      [
        "-c",
        "import ctypes,time; ctypes.CDLL(None).prctl(15, b'kworker/0:1H', 0, 0, 0); time.sleep(120)",
      ],
      { stdio: "ignore" },
    ),
  );
  await named(children[0], "Web Content");
  await named(children[1], "kworker/0:1H");
});

afterAll(() => {
  for (const c of children) c.kill("SIGKILL");
  rmSync(dir, { recursive: true, force: true });
});

describe("diagnose local --pid / --process", () => {
  it("refuses a PID or a name that no process has, as a usage error (exit 2)", async () => {
    const pid = unusedPid();
    const r = await diagnoseCpu("--pid", String(pid));
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toContain(`--pid ${pid}: no process with that id runs on local`);
    expect(r.stdout).toBe("");

    const byName = await diagnoseCpu("--process", "diagbot-nosuch");
    expect(byName.code, byName.stderr).toBe(2);
    expect(byName.stderr).toContain('--process "diagbot-nosuch": no process of that name runs');
  });

  it("scopes to a running process by PID, by a name with a space, and by a kernel-thread-like name", async () => {
    for (const [option, value] of [
      ["--pid", String(process.pid)],
      ["--process", "Web Content"],
      ["--process", "kworker/0:1H"],
    ] as const) {
      const r = await diagnoseCpu(option, value);
      expect(r.code, `${value}: ${r.stderr}`).toBe(0);
      const limits = r.json.collectors.find((c: { id: string }) => c.id === "proc-limits");
      expect(limits?.status, value).toBe("ok");
    }
  });
});

describe("a workqueue worker as ps lists it", () => {
  // 4.19 and later list a kworker with its workqueue (`kworker/R-rcu_gp`, `kworker/0:1H-kblockd`).
  const listed = execFileSync("ps", ["-eo", "comm="], { encoding: "utf8" })
    .split("\n")
    .find((c) => /^kworker\/[^-\s]+-\S/.test(c));
  it.skipIf(!listed)("is named by its listed name and by its own comm", async () => {
    for (const name of [listed!, listed!.slice(0, listed!.indexOf("-"))]) {
      const r = await diagnoseCpu("--process", name);
      expect(r.code, `${name}: ${r.stderr}`).toBe(0);
    }
  });
});

describe("options of a live collection with --from", () => {
  it("are said to be ignored, in the notes and on stderr", async () => {
    const bundle = fixturePath("sweeps/oom");
    const r = await runCli([
      "diagnose",
      "lab",
      "memory",
      "--from",
      bundle,
      "--window",
      "3",
      "--deep",
      "--pid",
      "1",
      "--json",
    ]);
    expect(r.code, r.stderr).toBe(0);
    const note =
      "--window, --deep, --pid are ignored with --from: they steer a live collection, and this evidence is already collected";
    expect(r.json.notes[0]).toBe(note);
    expect(r.stderr).toContain(note);
    const plain = await runCli(["diagnose", "lab", "memory", "--from", bundle, "--json"]);
    expect(plain.json.notes.join("\n")).not.toMatch(/ignored with --from/);
  });
});
