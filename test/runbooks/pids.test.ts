import { describe, expect, it } from "vitest";
import { readFixture } from "../helpers/fixtures.js";
import { bundleReplayer } from "../helpers/replay-bundle.js";

/**
 * Tasks at their limit (runbooks/pids.yaml) through the real parsers, derive and rules: a
 * cgroup's pids.max refusing forks as the kernel log reports it (pids-exhaustion-logged) and
 * as the cgroup's own counters show it (pids-exhaustion-cgroup), and the system's threads
 * against kernel.pid_max (pids-exhaustion-system), each described above its tests.
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
/** `{ collectorId: fixture path, or { text } written as is }` replayed as a bundle. */
const replay = bundleReplayer();

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

/**
 * The cgroup's own counters (pids-exhaustion-cgroup): pids.max, pids.current and pids.events
 * (`max N`: forks refused at the limit) as the cgroup-pids collector's walk prints them under
 * `==> path <==` markers (src/collectors/cgroup-walk.ts; Documentation/admin-guide/cgroup-v2.rst,
 * PID controller).
 */
function pidsWalk(cg: string, max: string, current: number, refused: number): { text: string } {
  const at = `/sys/fs/cgroup${cg}`;
  return {
    text: [
      "==> /sys/fs/cgroup/ <==",
      `==> ${at}/pids.max <==`,
      max,
      `==> ${at}/pids.current <==`,
      String(current),
      `==> ${at}/pids.events <==`,
      `max ${refused}`,
      "",
    ].join("\n"),
  };
}

describe("a cgroup at pids.max, from its own counters", () => {
  const WORKER = "/system.slice/worker.service";

  it("agrees with the kernel log's refusal", async () => {
    const r = await replay(
      {
        "cgroup-pids": pidsWalk(WORKER, "512", 512, 37),
        dmesg: logWith(vmLines(["5082.837234", WORKER])),
      },
      "errors",
    );
    const h = r.hypotheses.find((x) => x.rule === "pids-exhaustion-cgroup");
    expect(h?.title).toBe(
      "cgroup /system.slice/worker.service is at its task limit (512 of pids.max 512): fork() fails",
    );
    // base 0.6, forks refused +0.2
    expect(h?.confidence).toBeCloseTo(0.8, 5);
    expect(h?.evidence.find((e) => e.fact === "cgroup.pids.worst.refused")?.excerpt).toBe(
      "/system.slice/worker.service: pids.current 512 pids.max 512, pids.events max 37",
    );
    expect(r.hypotheses.find((x) => x.rule === "pids-exhaustion-logged")).toBeDefined();
  });

  it("stays quiet well under the limit with nothing refused", async () => {
    const r = await replay({ "cgroup-pids": pidsWalk(WORKER, "512", 40, 0) }, "errors");
    expect(r.hypotheses.filter((h) => h.category === "pids-exhaustion")).toEqual([]);
    expect(r.checked.find((c) => c.rule === "pids-exhaustion-cgroup")?.verdict).toBe("fine");
  });
});

/**
 * The system at kernel.pid_max (pids-exhaustion-system): /proc/loadavg's fourth field
 * (runnable/total scheduling entities, proc(5)) as the uptime collector prints it (`cat
 * /proc/loadavg /proc/uptime`), against the Debian VM's `sysctl -e` (kernel.pid_max = 32768,
 * the default for its 2 CPUs; kernel/pid.c, proc(5)).
 */
describe("the system at kernel.pid_max", () => {
  const SYSCTL = "sysctl/vm-debian12-k6.18__sysctl-e-keys.txt";

  it("fires with the threads at 91.55 % of pid_max", async () => {
    const uptime = { text: "41.02 38.77 30.15 12/30000 31990\n86213.40 90211.07\n" };
    const r = await replay({ uptime, sysctl: SYSCTL }, "errors");
    const h = r.hypotheses.find((x) => x.rule === "pids-exhaustion-system");
    expect(h?.category).toBe("pids-exhaustion");
    expect(h?.title).toBe(
      "The system is near its task limit: 30000 threads (91.55 % of kernel.pid_max, 15.57 % of threads-max)",
    );
    expect(h?.confidence).toBeCloseTo(0.65, 5);
  });

  it("stays quiet at the VM's own 214 threads", async () => {
    const uptime = { text: "1.32 2.11 4.73 2/214 23023\n6824.69 2538.69\n" };
    const r = await replay({ uptime, sysctl: SYSCTL }, "errors");
    expect(r.checked.find((c) => c.rule === "pids-exhaustion-system")?.verdict).toBe("fine");
  });
});
