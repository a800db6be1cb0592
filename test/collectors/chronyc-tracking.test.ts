import { spawnSync } from "node:child_process";
import { copyFileSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { chronycTracking } from "../../src/collectors/chronyc-tracking.js";
import { classify } from "../../src/engine/collect.js";
import { execResultOf } from "../helpers/spawned.js";

/**
 * The collector's script, run by dash in a PID namespace of its own (so the NTP clients it
 * looks for are the test's, not this machine's) with PATH holding only the test's stand-ins
 * for chronyc: which hosts report chrony missing, and which are skipped as kept by another
 * NTP client or by a chronyd that does not run.
 */
const bin = mkdtempSync(join(tmpdir(), "diagbot-chronyc-"));
afterAll(() => rmSync(bin, { recursive: true, force: true }));

const line = chronycTracking.command({ windowSeconds: 1, pids: [], sudo: false, root: true })!;

/** Runs the script; `daemon` is started first under that file name (a copy of sleep). */
function run(options: { chronyc?: string; daemon?: string }) {
  rmSync(join(bin, "chronyc"), { force: true });
  if (options.chronyc) writeFileSync(join(bin, "chronyc"), options.chronyc, { mode: 0o755 });
  const daemon = options.daemon ? join(bin, options.daemon) : "";
  if (daemon) copyFileSync("/bin/sleep", daemon);
  const r = spawnSync(
    "/usr/bin/unshare",
    [
      "--pid",
      "--fork",
      "--mount-proc",
      "/bin/sh",
      "-c",
      // The daemon runs first, and the namespace ends with the script (its init).
      '[ -n "$1" ] && { "$1" 30 & /bin/sleep 0.2; }; exec /bin/sh -c "$0"',
      line.script!,
      daemon,
    ],
    { env: { PATH: bin } },
  );
  if (daemon) rmSync(daemon, { force: true });
  const result = execResultOf(r);
  return { ...result, record: classify(chronycTracking, "chronyc -n tracking", result) };
}

describe.skipIf(process.getuid?.() !== 0)("chronyc-tracking on hosts chronyd does not keep", () => {
  it("no NTP client at all: chrony is missing (exit 127), to install", () => {
    const r = run({});
    expect(r.exitCode).toBe(127);
    expect(r.record.status).toBe("missing");
  });

  it.each([
    ["systemd-timesyncd", "systemd-timesyncd"],
    ["ntpd", "ntpd"],
    ["ptp4l", "ptp4l"],
  ])("no chronyc, %s running: skipped, the client named on stderr", (daemon, named) => {
    const r = run({ daemon });
    expect(r.exitCode).toBe(1);
    expect(r.stderr.toString()).toBe(`chronyc is not installed: the clock is kept by ${named}\n`);
    expect(r.record.status).toBe("skipped");
    expect(r.record.error).toBe(chronycTracking.absent!.reason);
  });

  it("chronyc present, chronyd not running: skipped", () => {
    const r = run({ chronyc: "#!/bin/sh\necho '506 Cannot talk to daemon'\nexit 1\n" });
    expect(r.stdout.toString()).toBe("");
    expect(r.record.status).toBe("skipped");
  });

  it("chronyd answering: its tracking report on stdout, exit 0", () => {
    const r = run({ chronyc: "#!/bin/sh\necho 'Reference ID    : C0A80001 (192.168.0.1)'\n" });
    expect(r.exitCode).toBe(0);
    expect(r.stdout.toString()).toBe("Reference ID    : C0A80001 (192.168.0.1)\n");
    expect(r.record.status).toBe("ok");
  });
});
