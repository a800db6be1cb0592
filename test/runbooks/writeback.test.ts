import { copyFileSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { diagnoseBundle } from "../../src/engine/diagnose.js";
import { loadRunbooks } from "../../src/runbooks/load.js";
import { fixturePath, readFixture } from "../helpers/fixtures.js";

/**
 * dirty-writeback-stall (runbooks/kernel.yaml) on parsed outputs: the kernel log of a journal
 * thread blocked in writeback (kernel/hung_task.c report, a public log), and /proc/meminfo with
 * dirty pages above vm.dirty_ratio while tasks stall on I/O (/proc/pressure/io `full`). The
 * meminfo and sysctl outputs are the Debian VM's, with Dirty/Writeback or one key replaced;
 * the pressure line is in the format of Documentation/accounting/psi.rst.
 */
const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

/** `{ collectorId: fixture path, or { text } written as is }` replayed as a bundle. */
async function replay(files: Record<string, string | { text: string }>) {
  const dir = mkdtempSync(join(tmpdir(), "diagbot-test-writeback-"));
  dirs.push(dir);
  for (const [id, file] of Object.entries(files)) {
    const to = join(dir, `${id}.out`);
    if (typeof file === "string") copyFileSync(fixturePath(file), to);
    else writeFileSync(to, file.text);
  }
  return (await diagnoseBundle(dir, "t", "hang", await loadRunbooks())).report;
}

/** A fixture's text with `Key: value` (meminfo) or `key = value` (sysctl) lines replaced. */
function edited(fixture: string, values: Record<string, string>): { text: string } {
  let text = readFixture(fixture);
  for (const [key, value] of Object.entries(values)) {
    const line = new RegExp(`^${key.replace(/[.()]/g, "\\$&")}(:\\s+| = ).*$`, "m");
    expect(text).toMatch(line);
    text = text.replace(line, (_m, sep: string) => `${key}${sep}${value}`);
  }
  return { text };
}

const JBD2_HUNG = "dmesg/scenario-29-hung-task-jbd2-dirty-writeback-slow-storage.txt";
const NFS_HUNG = "dmesg/scenario-05-hung-task-nfs-nic-offload-bug.txt";
const MEMINFO = "meminfo/vm-debian12-k6.18__meminfo.txt";
const SYSCTL = "sysctl/vm-debian12-k6.18__sysctl-e-keys.txt";
const PSI_IDLE = "pressure-io/vm-debian12-k6.18__pressure-io.txt";
/** /proc/pressure/io while tasks stall on I/O: all non-idle tasks waited 35 % of the last 10 s. */
const PSI_STALLED = {
  text: [
    "some avg10=41.20 avg60=30.05 avg300=12.40 total=95452893",
    "full avg10=35.10 avg60=24.88 avg300=9.71 total=80820464",
    "",
  ].join("\n"),
};
/**
 * 248000 + 42000 kB dirty or under writeback of 22121612 kB free + 2029012 kB file pages
 * (mm/page-writeback.c global_dirtyable_memory) = 1.2 %, with vm.dirty_ratio = 1.
 */
const MEMINFO_DIRTY = edited(MEMINFO, { Dirty: "  248000 kB", Writeback: "   42000 kB" });
const SYSCTL_RATIO_1 = edited(SYSCTL, { "vm.dirty_ratio": "1", "vm.dirty_background_ratio": "0" });

describe("writers stalled in writeback", () => {
  it("is found from the journal thread's hung-task report", async () => {
    const r = await replay({ dmesg: JBD2_HUNG, meminfo: MEMINFO, sysctl: SYSCTL });
    const h = r.hypotheses.find((x) => x.rule === "dirty-writeback-stall");
    expect(h?.category).toBe("dirty-writeback-stall");
    expect(h?.title).toBe(
      "Writers are stalled in writeback: jbd2/xvda2-8 blocked for more than 120 s waiting for dirty data to reach the disk",
    );
    // Base 0.6: dirty pages are far below the limit on this meminfo, so no boost.
    expect(h?.confidence).toBeCloseTo(0.6, 5);
    const wb = h?.evidence.find((e) => e.fact === "hung.in_writeback");
    expect(wb?.excerpt).toMatch(/INFO: task jbd2\/xvda2-8:103 blocked for more than 120 seconds\./);
    // The stall explains the hung task: it is the first finding.
    expect(r.hypotheses[0].rule).toBe("dirty-writeback-stall");
  });

  it("is found from dirty pages above vm.dirty_ratio while tasks stall on I/O", async () => {
    const r = await replay({
      meminfo: MEMINFO_DIRTY,
      sysctl: SYSCTL_RATIO_1,
      "pressure-io": PSI_STALLED,
    });
    const h = r.hypotheses.find((x) => x.rule === "dirty-writeback-stall");
    expect(h?.category).toBe("dirty-writeback-stall");
    expect(h?.title).toBe(
      "Writers are stalled in writeback waiting for dirty data to reach the disk",
    );
    // 0.6 + 0.15 (dirty at 90 % of the limit or more)
    expect(h?.confidence).toBeCloseTo(0.75, 5);
    const dirty = h?.evidence.find((e) => e.fact === "mem.dirty_pct_of_limit");
    expect(dirty?.excerpt).toMatch(/^Dirty: 248000 kB, Writeback: 42000 kB, MemFree: 22121612 kB/);
  });
});

describe("not a writeback stall", () => {
  it("when the same dirty pages meet no stall (I/O pressure idle)", async () => {
    const r = await replay({
      meminfo: MEMINFO_DIRTY,
      sysctl: SYSCTL_RATIO_1,
      "pressure-io": PSI_IDLE,
    });
    expect(r.hypotheses.find((x) => x.rule === "dirty-writeback-stall")).toBeUndefined();
    expect(r.checked.find((c) => c.rule === "dirty-writeback-stall")?.verdict).toBe("fine");
  });

  it("when tasks stall with dirty pages far below the limit (the Debian VM at rest)", async () => {
    const r = await replay({ meminfo: MEMINFO, sysctl: SYSCTL, "pressure-io": PSI_STALLED });
    expect(r.hypotheses.find((x) => x.rule === "dirty-writeback-stall")).toBeUndefined();
  });

  it("when the hung task waits on an NFS server, not on local writeback", async () => {
    const r = await replay({ dmesg: NFS_HUNG, meminfo: MEMINFO, sysctl: SYSCTL });
    expect(r.hypotheses.find((x) => x.rule === "dirty-writeback-stall")).toBeUndefined();
    expect(r.hypotheses.map((x) => x.category)).toContain("hung-task");
  });
});
