import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { diagnoseBundle } from "../../src/engine/diagnose.js";
import { loadRunbooks } from "../../src/runbooks/load.js";

/**
 * disk-saturation-queue-full (runbooks/disk.yaml): a hung-task report whose stack waits for a
 * free request slot (block/blk-mq-tag.c blk_mq_get_tag, io_schedule() until a tag frees) on a
 * device iostat shows busy with long waits.
 *
 * The iostat output is the Debian VM's `iostat -x -y` (sysstat 12 columns) with its vda row
 * replaced by a busy one (aqu-sz = IOPS × await / 1000, Little's law). The kernel log is
 * composed from kernel/hung_task.c (`INFO: task %s:%d blocked for more than %ld seconds.`),
 * kernel/sched/core.c sched_show_task (`task:%-15.15s state:%c …`) and the x86 stack dump
 * (arch/x86/kernel/dumpstack.c, `%pS` frames), with the 6.1 read path's function names
 * (mm/filemap.c filemap_read, mm/readahead.c, fs/ext4/readpage.c, block/blk-mq.c).
 */
const CORPUS = new URL("../../../shared/corpus/", import.meta.url).pathname;
const IOSTAT = readFileSync(join(CORPUS, "iostat/vm-debian12-k6.18__iostat-x-y.txt"), "utf8");

/** The Debian iostat with every vda row replaced by `row`. */
function iostat(row: string): string {
  expect(IOSTAT).toMatch(/^vda .*$/m);
  return IOSTAT.replace(/^vda .*$/gm, row);
}

/** 1210 reads/s waiting 105.3 ms each: 127.4 requests queued, the device always busy. */
const VDA_BUSY =
  "vda           1210.00   4840.00     0.00   0.00  105.30     4.00    0.00      0.00     0.00   0.00    0.00     0.00    0.00      0.00     0.00   0.00    0.00     0.00    0.00    0.00  127.40 100.00";
/** Busy, but each request served in 0.8 ms: no queue. */
const VDA_FAST =
  "vda           1210.00   4840.00     0.00   0.00    0.80     4.00    0.00      0.00     0.00   0.00    0.00     0.00    0.00      0.00     0.00   0.00    0.00     0.00    0.00    0.00    0.97  96.00";

/** A hung-task report of a reader whose stack ends in `wait`, then the 6.1 read path. */
function hungReader(wait: string[]): string {
  return [
    "[ 7021.811234] INFO: task postgres:48121 blocked for more than 122 seconds.",
    "[ 7021.811298]       Not tainted 6.1.0-18-amd64 #1 Debian 6.1.76-1",
    '[ 7021.811332] "echo 0 > /proc/sys/kernel/hung_task_timeout_secs" disables this message.',
    "[ 7021.811361] task:postgres        state:D stack:0     pid:48121 ppid:1022   flags:0x00000002",
    "[ 7021.811377] Call Trace:",
    "[ 7021.811380]  <TASK>",
    "[ 7021.811386]  __schedule+0x34d/0x9e0",
    "[ 7021.811399]  schedule+0x5a/0xd0",
    "[ 7021.811406]  io_schedule+0x42/0x70",
    ...wait.map((f) => `[ 7021.811413]  ${f}`),
    "[ 7021.811441]  __submit_bio+0xf6/0x190",
    "[ 7021.811449]  submit_bio_noacct_nocheck+0x159/0x370",
    "[ 7021.811457]  ext4_mpage_readpages+0x1d5/0x7b0 [ext4]",
    "[ 7021.811519]  read_pages+0x77/0x280",
    "[ 7021.811526]  page_cache_ra_unbounded+0x137/0x180",
    "[ 7021.811533]  filemap_get_pages+0xf0/0x6a0",
    "[ 7021.811540]  filemap_read+0xd9/0x340",
    "[ 7021.811547]  vfs_read+0x206/0x2e0",
    "[ 7021.811554]  ksys_read+0x6b/0xf0",
    "[ 7021.811561]  do_syscall_64+0x58/0xc0",
    "[ 7021.811568]  entry_SYSCALL_64_after_hwframe+0x64/0xce",
    "[ 7021.811575]  </TASK>",
    "",
  ].join("\n");
}

const TAG_WAIT = hungReader([
  "blk_mq_get_tag+0x10c/0x290",
  "__blk_mq_alloc_requests+0x18a/0x2d0",
  "blk_mq_submit_bio+0x2e5/0x5d0",
]);
/** The same reader waiting for its read to complete, with a tag: a slow device, not a full queue. */
const COMPLETION_WAIT = hungReader(["folio_wait_bit_common+0x12d/0x2f0"]);

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

async function replay(dmesg: string, iostatOut: string) {
  const dir = mkdtempSync(join(tmpdir(), "diagbot-test-disk-queue-"));
  dirs.push(dir);
  writeFileSync(join(dir, "dmesg.out"), dmesg);
  writeFileSync(join(dir, "iostat.out"), iostatOut);
  return (await diagnoseBundle(dir, "t", "health", await loadRunbooks())).report;
}

describe("tasks hung waiting for a request slot on a busy device", () => {
  it("is disk saturation seen by the kernel, and explains the hung task", async () => {
    const r = await replay(TAG_WAIT, iostat(VDA_BUSY));
    const h = r.hypotheses.find((x) => x.rule === "disk-saturation-queue-full");
    expect(h?.category).toBe("disk-saturation");
    expect(h?.title).toBe(
      "vda is saturated: 1 hung tasks wait for a free request slot on its queue (100 % busy, await 105.3 ms)",
    );
    // 0.65 + 0.1 (aqu-sz 127.4 ≥ 8)
    expect(h?.confidence).toBeCloseTo(0.75, 5);
    const q = h?.evidence.find((e) => e.fact === "hung.in_block_queue");
    expect(q?.excerpt).toMatch(
      /^\[ 7021\.811234\] INFO: task postgres:48121 blocked for more than 122 seconds\./,
    );
    expect(r.hypotheses.find((x) => x.rule === "hung-task")?.explainedBy).toBe(
      "disk-saturation-queue-full",
    );
    expect(r.hypotheses[0].category).toBe("disk-saturation");
  });
});

describe("not a full request queue", () => {
  it("when the hung task waits for its read to complete, not for a slot", async () => {
    const r = await replay(COMPLETION_WAIT, iostat(VDA_BUSY));
    expect(r.hypotheses.find((x) => x.rule === "disk-saturation-queue-full")).toBeUndefined();
    // iostat alone still shows the saturation.
    expect(r.hypotheses.find((x) => x.rule === "disk-saturation")?.category).toBe(
      "disk-saturation",
    );
  });

  it("when the device serves each request quickly", async () => {
    const r = await replay(TAG_WAIT, iostat(VDA_FAST));
    expect(r.hypotheses.find((x) => x.rule === "disk-saturation-queue-full")).toBeUndefined();
    expect(r.checked.find((c) => c.rule === "disk-saturation-queue-full")?.verdict).toBe("fine");
  });

  it("when the device is idle (the Debian VM at rest): the hung task stays a hung task", async () => {
    const r = await replay(TAG_WAIT, IOSTAT);
    expect(r.hypotheses.find((x) => x.rule === "disk-saturation-queue-full")).toBeUndefined();
    const hung = r.hypotheses.find((x) => x.rule === "hung-task");
    expect(hung?.category).toBe("hung-task");
    expect(hung?.explainedBy).toBeUndefined();
  });
});
