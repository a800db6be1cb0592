import { copyFileSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { diagnoseBundle } from "../../src/engine/diagnose.js";
import type { Symptom } from "../../src/model/report.js";
import { loadRunbooks } from "../../src/runbooks/load.js";
import { fixturePath, readFixture } from "../helpers/fixtures.js";

/**
 * A cgroup's pids.max refusing forks, read from the kernel log (runbooks/pids.yaml,
 * pids-exhaustion-logged) through the real dmesg parser, derive and rules.
 *
 * kernel/cgroup/pids.c (kernel/cgroup_pids.c before 4.14) logs
 * `cgroup: fork rejected by pids controller in <cgroup path>` (pr_info, then the path with
 * pr_cont_cgroup_path) once per cgroup, the first time it refuses a fork; the only wording the
 * kernel-message survey lists (4.9.115–6.19, RHEL8). The lines below are that wording as a
 * Debian 12 VM (kernel 6.18) printed it (test/fixtures/sweeps/oom/dmesg.out), as
 * test/fixtures/kernel-messages/wordings.tsv fills it for a Kubernetes pod, and in the
 * `dmesg -T` stamp (util-linux dmesg(1) --ctime) with a systemd session scope; the healthy log
 * is the same VM's boot log (test/fixtures/dmesg/vm-debian12-k6.18__dmesg.txt).
 */
const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

/** `{ collectorId: fixture path, or { text } written as is }` replayed as a bundle. */
async function replay(files: Record<string, string | { text: string }>, symptom: Symptom) {
  const dir = mkdtempSync(join(tmpdir(), "diagbot-test-pids-"));
  dirs.push(dir);
  for (const [id, file] of Object.entries(files)) {
    const to = join(dir, `${id}.out`);
    if (typeof file === "string") copyFileSync(fixturePath(file), to);
    else writeFileSync(to, file.text);
  }
  return (await diagnoseBundle(dir, "t", symptom, await loadRunbooks())).report;
}

const HEALTHY_LOG = readFixture("dmesg/vm-debian12-k6.18__dmesg.txt");

/** The VM's own fork-rejected lines (test/fixtures/sweeps/oom/dmesg.out). */
function vmLines(...cgroups: [string, string][]): string {
  return cgroups
    .map(([stamp, cg]) => `[${stamp}] cgroup: fork rejected by pids controller in ${cg}`)
    .join("\n");
}

/** The pids-limit line of the wordings survey (kernel-messages.md §7), with a stamp. */
function surveyLine(stamp: string): string {
  const row = readFixture("kernel-messages/wordings.tsv")
    .split("\n")
    .find((l) => l.startsWith("pids-limit\t"));
  expect(row).toBeDefined();
  const line = row?.split("\t").at(-1) ?? "";
  expect(line).toBe("cgroup: fork rejected by pids controller in /kubepods/pod1");
  return `[${stamp}] ${line}`;
}

function logWith(extra: string): { text: string } {
  return { text: `${HEALTHY_LOG.trimEnd()}\n${extra}\n` };
}

describe("forks refused by the pids controller, from the kernel log", () => {
  it("names the cgroup the kernel named", async () => {
    const r = await replay(
      { dmesg: logWith(vmLines(["4399.378577", "/diagbot-proto"])) },
      "errors",
    );
    const h = r.hypotheses.find((x) => x.rule === "pids-exhaustion-logged");
    expect(h?.category).toBe("pids-exhaustion");
    expect(h?.title).toBe("The pids controller refused forks in /diagbot-proto: fork() fails");
    expect(h?.confidence).toBeCloseTo(0.6, 5);
    expect(h?.key).toBe("t/pids-exhaustion-logged/%2Fdiagbot-proto");
    const ev = h?.evidence.find((e) => e.fact === "pids.log.fork_rejected");
    expect(ev?.value).toBe(1);
    expect(ev?.excerpt).toContain("cgroup: fork rejected by pids controller in /diagbot-proto");
    expect(r.hypotheses[0].category).toBe("pids-exhaustion");
  });

  it("counts one line per cgroup and cites the newest", async () => {
    // One message per cgroup: two cgroups refused forks, the later one is named.
    const lines = vmLines(
      ["4822.678853", "/diagbot-fault-pids-2286"],
      ["5082.837234", "/diagbot-fault-pids-7956"],
    );
    const r = await replay({ dmesg: logWith(lines) }, "errors");
    const h = r.hypotheses.find((x) => x.rule === "pids-exhaustion-logged");
    expect(h?.title).toBe(
      "The pids controller refused forks in /diagbot-fault-pids-7956: fork() fails",
    );
    expect(h?.evidence.find((e) => e.fact === "pids.log.fork_rejected")?.value).toBe(2);
  });

  it("reads the wording of the kernel-message survey (a Kubernetes pod's cgroup)", async () => {
    const r = await replay({ dmesg: logWith(surveyLine("812.004411")) }, "health");
    const h = r.hypotheses.find((x) => x.rule === "pids-exhaustion-logged");
    expect(h?.title).toBe("The pids controller refused forks in /kubepods/pod1: fork() fails");
  });

  it("reads a `dmesg -T` stamp and a nested systemd scope", async () => {
    const line =
      "[Fri Nov 26 13:32:53 2021] cgroup: fork rejected by pids controller in /user.slice/user-1000.slice/session-3.scope";
    const r = await replay({ dmesg: { text: `${line}\n` } }, "errors");
    const h = r.hypotheses.find((x) => x.rule === "pids-exhaustion-logged");
    expect(h?.title).toBe(
      "The pids controller refused forks in /user.slice/user-1000.slice/session-3.scope: fork() fails",
    );
    expect(h?.next?.[0]).toBe(
      "cd /sys/fs/cgroup/user.slice/user-1000.slice/session-3.scope && cat pids.current pids.max pids.events",
    );
  });

  it("stays quiet on the VM's boot log, which has no refusal", async () => {
    const r = await replay({ dmesg: { text: HEALTHY_LOG } }, "errors");
    expect(r.hypotheses.filter((h) => h.category === "pids-exhaustion")).toEqual([]);
    const c = r.checked.find((x) => x.rule === "pids-exhaustion-logged");
    expect(c?.verdict).toBe("fine");
  });

  it("does not take a user-space fork failure for the controller's refusal", async () => {
    // A daemon's own report of EAGAIN from fork(2) reaches the kernel log through /dev/kmsg
    // with its name; it says nothing of which limit refused (RLIMIT_NPROC, threads-max, pids.max).
    const r = await replay(
      {
        dmesg: logWith(
          "[ 900.100200] systemd[1]: Failed to fork: Resource temporarily unavailable",
        ),
      },
      "errors",
    );
    expect(r.hypotheses.find((h) => h.rule === "pids-exhaustion-logged")).toBeUndefined();
  });
});
