import { spawn, spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { BIN, runCli } from "../helpers/cli.js";
import { fixturePath } from "../helpers/fixtures.js";

/**
 * `diagbot collectors | head -1`: `head` exits after its first bytes, and diagbot's next write
 * finds the pipe closed (EPIPE). diagbot stops writing quietly, with no stack trace, and exits
 * with the code the command has when its output is read to the end (README "Exit codes").
 */
describe("a reader that goes away", () => {
  it("ends diagbot quietly with 0 when `head` closes the pipe", () => {
    for (const verb of ["collectors", "sudoers"]) {
      const r = spawnSync(
        "bash",
        [
          "-c",
          `"$0" "$1" ${verb} | head -c 1 >/dev/null; exit "\${PIPESTATUS[0]}"`,
          process.execPath,
          BIN,
        ],
        { encoding: "utf8" },
      );
      expect(r.stderr, verb).toBe("");
      expect(r.status, verb).toBe(0);
    }
  });
});

const dir = mkdtempSync(join(tmpdir(), "diagbot-closed-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A replayed bundle that ran nothing: its one collector failed (bundle.json, see bundle/). */
const failedBundle = join(dir, "failed");
mkdirSync(failedBundle);
writeFileSync(
  join(failedBundle, "bundle.json"),
  JSON.stringify({
    version: 1,
    host: "junkb",
    startedAt: "2026-12-07T06:28:05.979Z",
    symptom: "health",
    window: { seconds: 3 },
    collectors: {
      uptime: {
        status: "failed",
        command: "cat /proc/loadavg /proc/uptime",
        stream: "stdout",
        exitCode: 1,
        durationMs: 5,
        error: "cat: /proc/loadavg: No such file or directory",
      },
    },
  }),
);
/** A folder that holds no output of a known collector: a replay host that cannot answer. */
mkdirSync(join(dir, "junk"));
writeFileSync(join(dir, "junk", "notes.txt"), "hello\n");
const example = fileURLToPath(
  new URL("../../runbooks/examples/09-oom-memory-leak-tickrs", import.meta.url),
);
const inventory = join(dir, "inventory.yaml");
writeFileSync(
  inventory,
  [
    "hosts:",
    "  junkb:",
    "    transport: replay",
    `    bundle: ${failedBundle}`,
    "    groups: [failed]",
    "  lab-7:",
    "    transport: replay",
    `    bundle: ${example}`,
    "    groups: [mixed]",
    "  junkc:",
    "    transport: replay",
    `    bundle: ${join(dir, "junk")}`,
    "    groups: [mixed]",
    "",
  ].join("\n"),
);
/** Real `ss -a` output (jc's fixture), then 40 000 lines of no format: refused as under 1 %. */
const mostlyNoise = join(dir, "ss-mostly-noise.txt");
writeFileSync(
  mostlyNoise,
  readFileSync(fixturePath("ss-tcp/jc__ubuntu-18.04__ss-sudo-a.out.txt"), "utf8") +
    Array.from({ length: 40_000 }, (_, i) => `not a socket line ${i}\n`).join(""),
);

/**
 * Runs the built CLI with `stream` ("stdout" or "stderr") a pipe whose reading end this process
 * closes at once, the other stream read to the end; resolves with the exit code and that text.
 */
function runWithClosed(
  args: string[],
  stream: "stdout" | "stderr",
): Promise<{ code: number | null; kept: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], {
      env: { ...process.env, NO_COLOR: "1", DIAGBOT_INVENTORY: inventory },
      stdio: ["ignore", "pipe", "pipe"],
    });
    child[stream].destroy();
    const kept: Buffer[] = [];
    child[stream === "stdout" ? "stderr" : "stdout"].on("data", (b) => kept.push(b));
    const timer = setTimeout(() => child.kill("SIGKILL"), 60_000);
    child.on("error", reject);
    child.on("close", (code) => {
      clearTimeout(timer);
      resolve({ code, kept: Buffer.concat(kept).toString("utf8") });
    });
  });
}

describe("the exit code when the reader has gone", () => {
  const env = { DIAGBOT_INVENTORY: inventory };

  it.each([
    [["diagnose", "junkb"], 3],
    [["diagnose", "junkb", "--json"], 3],
    [["sweep", "mixed", "--json"], 4],
    [["sweep", "mixed"], 4],
    [["sweep", "lab-7", "--json"], 0],
    [["parse", "ss-tcp", mostlyNoise], 1],
    [["collectors", "--json"], 0],
  ])("%j exits %i whether its output is read or not", async (args, expected) => {
    const read = await runCli(args, { env });
    expect(read.code, read.stderr).toBe(expected);
    // Something was written to stdout, so closing it makes a write fail.
    expect(read.stdout.length).toBeGreaterThan(0);
    const closed = await runWithClosed(args, "stdout");
    expect(closed.code, closed.kept).toBe(expected);
    expect(closed.kept).not.toMatch(/EPIPE|unexpected error|at .*\.js:\d+/);
  });

  it("says why on stderr, and keeps the code, when standard output is closed", async () => {
    const closed = await runWithClosed(["diagnose", "junkb"], "stdout");
    expect(closed.code).toBe(3);
    expect(closed.kept).toMatch(/no collector gave output that could be used on junkb/);
    expect(closed.kept).toMatch(/uptime: cat: \/proc\/loadavg: No such file or directory/);
  });

  it("keeps the code and the report when standard error is closed", async () => {
    const closed = await runWithClosed(["diagnose", "junkb", "--json"], "stderr");
    expect(closed.code).toBe(3);
    expect(JSON.parse(closed.kept).host).toBe("junkb");
    const sweep = await runWithClosed(["sweep", "mixed", "--json"], "stderr");
    expect(sweep.code).toBe(4);
  });

  it("keeps 0 for a healthy parse whose reader goes away after the first rows", async () => {
    const good = fixturePath("ss-tcp/jc__ubuntu-18.04__ss-sudo-a.out.txt");
    const closed = await runWithClosed(["parse", "ss-tcp", good], "stdout");
    expect(closed.code).toBe(0);
    expect(closed.kept).toBe("");
  });
});
