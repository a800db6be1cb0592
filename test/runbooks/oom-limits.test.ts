import { describe, expect, it } from "vitest";
import { readFixture } from "../helpers/fixtures.js";
import { bundleReplayer } from "../helpers/replay-bundle.js";

/**
 * Running out of memory at a configured limit (runbooks/memory.yaml), from outputs through the
 * real parsers, derive and rules:
 *
 * - memory-oom-cgroup: a cgroup's own OOM kill counter. cgroup v2 `memory.events` (flat keyed
 *   `low high max oom oom_kill [oom_group_kill]`; the file below is a Docker scope's, from
 *   test/fixtures/cgroup-memory/elastic-asm__docker.zip__docker-scope_memory.events.txt) with
 *   `memory.max` and `memory.current` (single values in bytes, `max` for none), laid out as the
 *   cgroup-memory collector's walk prints them (`==> path <==` markers, src/collectors/cgroup-walk.ts);
 *   Documentation/admin-guide/cgroup-v2.rst. And cgroup v1 `memory.oom_control` / `failcnt` /
 *   `limit_in_bytes` as a Debian 12 VM printed them after a kill at a 64 MiB limit, with that
 *   VM's kernel log (test/fixtures/sweeps/oom/: cgroup-memory.out, dmesg.out). `oom_kill`
 *   counts kills by any OOM killer; `oom` (v1: failcnt) says a limit was reached, in the
 *   cgroup or above it, so kills without it were machine-wide and not this rule's.
 * - memory-commit-limit: vm.overcommit_memory = 2 with /proc/meminfo Committed_AS at
 *   CommitLimit (Documentation/mm/overcommit-accounting.rst, filesystems/proc.rst): the VM's
 *   `sysctl -e` and /proc/meminfo (test/fixtures/sysctl/vm-debian12-k6.18__sysctl-e-keys.txt,
 *   test/fixtures/meminfo/vm-debian12-k6.18__meminfo.txt) with the mode and Committed_AS
 *   replaced, and node_exporter's /proc/meminfo fixture, where Committed_AS (7835436 kB)
 *   exceeds CommitLimit (6065372 kB) on a host in the default mode.
 */
/** `{ collectorId: fixture path, or { text } written as is }` replayed as a bundle. */
const replay = bundleReplayer();

/** The Docker scope's memory.events, with kills (oom 1, oom_kill 1). */
const EVENTS_KILLED = readFixture(
  "cgroup-memory/elastic-asm__docker.zip__docker-scope_memory.events.txt",
);
/** A session scope's memory.events, all zero (elastic docker2 fixture). */
const EVENTS_QUIET = readFixture(
  "cgroup-memory/elastic-asm__docker2.zip__session-520.scope_memory.events.txt",
);

/** A cgroup v2 walk: the hierarchy marker, then each cgroup's files under `==> path <==`. */
function v2Walk(cgroups: { path: string; events: string; max: string; current: number }[]): {
  text: string;
} {
  const out = ["==> /sys/fs/cgroup/ <=="];
  for (const c of cgroups) {
    const at = `/sys/fs/cgroup${c.path}`;
    out.push(`==> ${at}/memory.events <==`, c.events.trimEnd());
    out.push(`==> ${at}/memory.max <==`, c.max);
    out.push(`==> ${at}/memory.high <==`, "max");
    out.push(`==> ${at}/memory.current <==`, String(c.current));
  }
  return { text: `${out.join("\n")}\n` };
}

const APP = "/system.slice/app.service";
const SESSION = "/user.slice/user-1000.slice/session-520.scope";

describe("memory-oom-cgroup on cgroup memory files", () => {
  it("a v2 cgroup whose oom_kill rose over the window ran out at its memory.max", async () => {
    // 512 MiB limit, 511.4 MiB in use; oom_kill 0 at the start of the window, 1 at its end.
    const start = v2Walk([
      { path: APP, events: EVENTS_QUIET, max: "536870912", current: 402653184 },
      { path: SESSION, events: EVENTS_QUIET, max: "max", current: 12754944 },
    ]);
    const end = v2Walk([
      { path: APP, events: EVENTS_KILLED, max: "536870912", current: 536219648 },
      { path: SESSION, events: EVENTS_QUIET, max: "max", current: 12754944 },
    ]);
    const r = await replay({ "cgroup-memory.start": start, "cgroup-memory": end }, "memory");
    const h = r.hypotheses.find((x) => x.rule === "memory-oom-cgroup");
    expect(h?.category).toBe("memory-oom");
    expect(h?.title).toBe(
      "cgroup /system.slice/app.service ran out of memory at its limit (1 OOM kills)",
    );
    expect(h?.confidence).toBeCloseTo(0.65, 5);
    const ev = h?.evidence.find((e) => e.fact === "cgroup.memory.oom.kills");
    expect(ev?.excerpt).toBe(
      "/system.slice/app.service: oom_kill 1 (+1 over the window), limit 536870912 bytes, usage 536219648 bytes",
    );
    expect(r.hypotheses[0].category).toBe("memory-oom");
  });

  it("kills before the window are not this incident", async () => {
    const walk = v2Walk([
      { path: APP, events: EVENTS_KILLED, max: "536870912", current: 402653184 },
    ]);
    const r = await replay({ "cgroup-memory.start": walk, "cgroup-memory": walk }, "memory");
    expect(r.hypotheses.filter((h) => h.category === "memory-oom")).toEqual([]);
    expect(r.checked.find((c) => c.rule === "memory-oom-cgroup")?.verdict).toBe("fine");
  });

  it("cgroups with no kill stay quiet", async () => {
    const walk = v2Walk([
      { path: APP, events: EVENTS_QUIET, max: "536870912", current: 402653184 },
      { path: SESSION, events: EVENTS_QUIET, max: "max", current: 12754944 },
    ]);
    const r = await replay({ "cgroup-memory": walk }, "memory");
    expect(r.hypotheses.find((h) => h.rule === "memory-oom-cgroup")).toBeUndefined();
    expect(r.checked.find((c) => c.rule === "memory-oom-cgroup")?.verdict).toBe("fine");
  });

  it("kills with no limit reached in the cgroup or above it were machine-wide", async () => {
    // memory.events of a cgroup with no memory.max whose task the machine-wide OOM killer
    // chose: oom_kill counts it, oom (its own limit reached) does not.
    const globalKill = EVENTS_QUIET.replace(/^oom_kill 0$/m, "oom_kill 1");
    expect(globalKill).toMatch(/^oom 0$/m);
    const start = v2Walk([{ path: APP, events: EVENTS_QUIET, max: "max", current: 402653184 }]);
    const end = v2Walk([{ path: APP, events: globalKill, max: "max", current: 8519680 }]);
    const r = await replay({ "cgroup-memory.start": start, "cgroup-memory": end }, "memory");
    expect(r.hypotheses.find((h) => h.rule === "memory-oom-cgroup")).toBeUndefined();
    expect(r.checked.find((c) => c.rule === "memory-oom-cgroup")?.why).toMatch(
      /0 times the cgroup of the OOM kills, or one above it, reached its limit/,
    );
  });

  it("a service with no limit of its own, killed at its slice's limit", async () => {
    // The slice reached its memory.max (oom 1); its service, without a limit, had the kill.
    const slice = "/system.slice";
    const start = v2Walk([
      { path: slice, events: EVENTS_QUIET, max: "1073741824", current: 805306368 },
      { path: APP, events: EVENTS_QUIET, max: "max", current: 738197504 },
    ]);
    const serviceKilled = EVENTS_QUIET.replace(/^oom_kill 0$/m, "oom_kill 1");
    const end = v2Walk([
      { path: slice, events: EVENTS_KILLED, max: "1073741824", current: 1072693248 },
      { path: APP, events: serviceKilled, max: "max", current: 1005584384 },
    ]);
    const r = await replay({ "cgroup-memory.start": start, "cgroup-memory": end }, "memory");
    const h = r.hypotheses.find((x) => x.rule === "memory-oom-cgroup");
    expect(h?.title).toBe(
      "cgroup /system.slice/app.service ran out of memory at its limit (1 OOM kills)",
    );
    expect(h?.evidence.find((e) => e.fact === "cgroup.memory.oom.limit_hits")?.excerpt).toBe(
      "/sys/fs/cgroup/system.slice: memory.events oom 1 over the window",
    );
  });

  it("a v1 kill the kernel log reports at the same cgroup's limit (the VM's outputs)", async () => {
    const r = await replay(
      { "cgroup-memory": "sweeps/oom/cgroup-memory.out", dmesg: "sweeps/oom/dmesg.out" },
      "memory",
    );
    const h = r.hypotheses.find((x) => x.rule === "memory-oom-cgroup");
    expect(h?.title).toBe(
      "cgroup /diagbot-fault-oom-23147 ran out of memory at its limit (1 OOM kills)",
    );
    // base 0.65, constraint memcg +0.15, counted since the cgroup was created −0.2
    expect(h?.confidence).toBeCloseTo(0.6, 5);
    expect(h?.evidence.find((e) => e.fact === "cgroup.memory.oom.kills")?.excerpt).toBe(
      "/diagbot-fault-oom-23147: oom_kill 1, limit 67108864 bytes, usage 233472 bytes",
    );
    expect(h?.evidence.find((e) => e.fact === "oom.constraint")?.value).toBe("memcg");
    expect(h?.evidence.find((e) => e.fact === "cgroup.memory.oom.limit_hits")?.excerpt).toBe(
      "/sys/fs/cgroup/memory/diagbot-fault-oom-23147: failcnt 119",
    );
  });

  it("one reading with a kernel log that shows no OOM is history, not this incident", async () => {
    const r = await replay(
      {
        "cgroup-memory": "sweeps/oom/cgroup-memory.out",
        dmesg: "dmesg/vm-debian12-k6.18__dmesg.txt",
      },
      "memory",
    );
    expect(r.hypotheses.find((h) => h.rule === "memory-oom-cgroup")).toBeUndefined();
  });
});

const DEBIAN_SYSCTL = "sysctl/vm-debian12-k6.18__sysctl-e-keys.txt";
const DEBIAN_MEMINFO = "meminfo/vm-debian12-k6.18__meminfo.txt";

/** The VM's `sysctl -e` with vm.overcommit_memory set to `mode`. */
function overcommit(mode: number): { text: string } {
  const text = readFixture(DEBIAN_SYSCTL);
  expect(text).toMatch(/^vm\.overcommit_memory = 0$/m);
  return { text: text.replace(/^vm\.overcommit_memory = 0$/m, `vm.overcommit_memory = ${mode}`) };
}

/** The VM's /proc/meminfo (CommitLimit 12342044 kB) with Committed_AS at `kb`. */
function committed(kb: number): { text: string } {
  const text = readFixture(DEBIAN_MEMINFO);
  expect(text).toMatch(/^CommitLimit: +12342044 kB$/m);
  return { text: text.replace(/^Committed_AS: +\d+ kB$/m, `Committed_AS:   ${kb} kB`) };
}

describe("memory-commit-limit: strict overcommit at its limit", () => {
  it("fires in mode 2 with Committed_AS within 5 % of CommitLimit", async () => {
    // 12100000 of 12342044 kB = 98.04 %
    const r = await replay({ sysctl: overcommit(2), meminfo: committed(12100000) }, "errors");
    const h = r.hypotheses.find((x) => x.rule === "memory-commit-limit");
    expect(h?.category).toBe("memory-oom");
    expect(h?.title).toBe(
      "vm.overcommit_memory = 2 and the commit charge is at 98.04 % of CommitLimit: allocations and forks fail with ENOMEM",
    );
    expect(h?.confidence).toBeCloseTo(0.5, 5);
    expect(h?.evidence.find((e) => e.fact === "mem.commit_pct")?.excerpt).toBe(
      "Committed_AS: 12100000 kB, CommitLimit: 12342044 kB",
    );
    expect(h?.evidence.find((e) => e.fact === "sysctl.vm_overcommit_memory")?.excerpt).toMatch(
      /vm\.overcommit_memory = 2/,
    );
  });

  it("is surer at the limit itself", async () => {
    const r = await replay({ sysctl: overcommit(2), meminfo: committed(12330000) }, "errors");
    expect(r.hypotheses.find((h) => h.rule === "memory-commit-limit")?.confidence).toBeCloseTo(
      0.7,
      5,
    );
  });

  it("stays quiet in mode 2 with the commit charge far below the limit (the VM as read)", async () => {
    // 1012696 of 12342044 kB = 8.2 %
    const r = await replay({ sysctl: overcommit(2), meminfo: DEBIAN_MEMINFO }, "errors");
    const c = r.checked.find((x) => x.rule === "memory-commit-limit");
    expect(c?.verdict).toBe("fine");
    expect(c?.why).toMatch(/Committed_AS at 8\.21 % of CommitLimit/);
  });

  it("ignores Committed_AS above CommitLimit in the default mode, which does not enforce it", async () => {
    const r = await replay(
      { sysctl: DEBIAN_SYSCTL, meminfo: "meminfo/node_exporter__proc_meminfo.txt" },
      "errors",
    );
    expect(r.hypotheses.find((h) => h.rule === "memory-commit-limit")).toBeUndefined();
    expect(r.checked.find((c) => c.rule === "memory-commit-limit")?.verdict).toBe("fine");
  });
});
