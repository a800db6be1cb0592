import { copyFileSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { diagnoseBundle } from "../../src/engine/diagnose.js";
import { loadRunbooks } from "../../src/runbooks/load.js";

/**
 * blocked-threads-waiting: threads asleep in io_schedule() (vmstat b) in every sample of the
 * window while the local disks are not busy. Replayed from bundles of real outputs (the corpus)
 * and a vmstat in procps-ng's layout whose `b` column stays up.
 */
const CORPUS = new URL("../../../shared/corpus/", import.meta.url).pathname;
const IOSTAT_IDLE = join(CORPUS, "iostat/vm-debian12-k6.18__iostat-x-y.txt");
const IOSTAT_BUSY = join(CORPUS, "iostat/dd-agent__test_sysstat__newer_iostat_output.txt");
const TOP_WITH_D = join(CORPUS, "top/jc__ubuntu-20.10__top-b-n1.out.txt");

/** `vmstat 1 N+1`: the since-boot line, then one line per second with `b` as given. */
function vmstat(blocked: number[]): string {
  const rows = [0, ...blocked].map(
    (b, i) =>
      ` 0  ${b}      0 24232596   3488 351580    0    0 ${i === 0 ? " 1193  1889" : "    0     8"}  ${i === 0 ? "559 1456 14  8 77  0" : " 62   96  0  1 89 10"}  0`,
  );
  return [
    "procs -----------memory---------- ---swap-- -----io---- -system-- ------cpu-----",
    " r  b   swpd   free   buff  cache   si   so    bi    bo   in   cs us sy id wa st",
    ...rows,
    "",
  ].join("\n");
}

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

async function replay(blocked: number[], iostat: string, top?: string) {
  const dir = mkdtempSync(join(tmpdir(), "diagbot-test-blocked-"));
  dirs.push(dir);
  writeFileSync(join(dir, "vmstat.out"), vmstat(blocked));
  copyFileSync(iostat, join(dir, "iostat.out"));
  if (top) copyFileSync(top, join(dir, "top.out"));
  return (await diagnoseBundle(dir, "t", "hang", await loadRunbooks())).report;
}

describe("threads blocked on I/O for the whole window", () => {
  it("is a hung-task finding when the disks are idle, naming the D-state process top shows", async () => {
    const r = await replay([2, 2, 3, 2], IOSTAT_IDLE, TOP_WITH_D);
    const h = r.hypotheses.find((x) => x.rule === "blocked-threads-waiting");
    expect(h?.category).toBe("hung-task");
    expect(h?.title).toBe(
      "2 threads waited on I/O for the whole window while the disks were not busy (kworker/0:4+usb_hub_wq in D state)",
    );
    expect(h?.key).toBe("t/blocked-threads-waiting/kworker%2F0:4+usb_hub_wq");
    const top = h?.evidence.find((e) => e.fact === "blocked.d_tasks");
    expect(top?.excerpt).toBe("kworker/0:4+usb_hub_wq (pid 898)");
    expect(h?.confidence).toBeCloseTo(0.4, 5);
    const vm = h?.evidence.find((e) => e.fact === "blocked.iowait_min");
    expect(vm?.excerpt).toBe("vmstat b (threads waiting on I/O) per second: 2 2 3 2");
  });

  it("says host when top did not run", async () => {
    const r = await replay([1, 1, 1], IOSTAT_IDLE);
    const h = r.hypotheses.find((x) => x.rule === "blocked-threads-waiting");
    expect(h?.title).toBe(
      "1 threads waited on I/O for the whole window while the disks were not busy",
    );
    expect(h?.key).toBe("t/blocked-threads-waiting/host");
  });

  it("is not this finding when a disk is busy: the threads queue on it", async () => {
    const r = await replay([2, 2, 3, 2], IOSTAT_BUSY, TOP_WITH_D);
    expect(r.hypotheses.find((x) => x.rule === "blocked-threads-waiting")).toBeUndefined();
    expect(r.checked.find((c) => c.rule === "blocked-threads-waiting")?.verdict).toBe("fine");
  });

  it("is not this finding when one sample had no blocked thread", async () => {
    const r = await replay([2, 0, 3, 2], IOSTAT_IDLE, TOP_WITH_D);
    expect(r.hypotheses.find((x) => x.rule === "blocked-threads-waiting")).toBeUndefined();
  });

  it("is not evaluated on fewer than 3 samples", async () => {
    const r = await replay([2, 2], IOSTAT_IDLE);
    expect(r.checked.find((c) => c.rule === "blocked-threads-waiting")).toMatchObject({
      verdict: "not-evaluated",
      why: expect.stringMatching(/^too few samples: blocked\.samples is 2 samples/),
    });
  });
});
