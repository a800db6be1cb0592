import { describe, expect, it } from "vitest";
import { readFixture } from "../helpers/fixtures.js";
import { bundleReplayer, hyp } from "../helpers/replay-bundle.js";

/**
 * The hardware error counters on their sysfs outputs replayed as bundles: edac-memory-errors
 * (runbooks/kernel.yaml) on the EDAC files of drivers/edac/edac_mc_sysfs.c, and
 * scsi-command-errors (runbooks/disk.yaml) on the SCSI files of drivers/scsi/scsi_sysfs.c read
 * at the start and the end of a window.
 */
const replay = bundleReplayer();

const EDAC_CE = "edac/constructed__edac-sb_edac-ce-one-dimm.txt";
const EDAC_CLEAN = "edac/constructed__edac-sb_edac-clean.txt";
const SCSI_START = "scsi-ioerr/constructed__scsi-ioerr-start.txt";
const SCSI_END = "scsi-ioerr/constructed__scsi-ioerr-sdb-failing.txt";
const MCE_LOG =
  "../../../shared/scenarios/bundles/06-mce-corrected-dimm-errors-replaced-ram/dmesg.out";
const DISK_LOG =
  "../../../shared/scenarios/bundles/18-disk-medium-errors-unrecovered-read/dmesg.out";

/** The clean EDAC listing with some files' values replaced (`mc0/dimm2/dimm_ce_count` → 5). */
function edacWith(values: Record<string, number>): { text: string } {
  let text = readFixture(EDAC_CLEAN);
  for (const [file, v] of Object.entries(values)) {
    const re = new RegExp(`(==> /sys/devices/system/edac/mc/${file} <==\\n)\\d+`);
    expect(text).toMatch(re);
    text = text.replace(re, `$1${v}`);
  }
  return { text };
}

describe("edac-memory-errors on the EDAC counters", () => {
  it("names the DIMM whose corrected errors pass 10 a day", async () => {
    const r = await replay({ edac: EDAC_CE }, "health");
    const h = hyp(r, "edac-memory-errors");
    expect(h?.category).toBe("hardware-mce");
    // 214 corrected in 259200 s (3 days): 71.3 a day.
    expect(h?.title).toBe(
      "The memory controller counted 0 uncorrected and 214 corrected memory errors, most on CPU_SrcID#1_Ha#0_Chan#1_DIMM#0 (71.3 corrected a day)",
    );
    expect(h?.confidence).toBeCloseTo(0.6, 5);
    expect(h?.evidence[0]?.excerpt).toBe(
      "mc1: ce_count 214, ue_count 0; CPU_SrcID#1_Ha#0_Chan#1_DIMM#0: dimm1/dimm_ce_count 214, dimm1/dimm_ue_count 0; seconds_since_reset 259200",
    );
    expect(r.hypotheses[0]?.category).toBe("hardware-mce");
  });

  it("is sure of one uncorrected error, and surer with machine checks in the log", async () => {
    const ue = edacWith({ "mc0/ue_count": 1, "mc0/dimm3/dimm_ue_count": 1 });
    const alone = hyp(await replay({ edac: ue }, "health"), "edac-memory-errors");
    expect(alone?.title).toMatch(
      /counted 1 uncorrected and 0 corrected .*most on CPU_SrcID#0_Ha#0_Chan#3_DIMM#0$/,
    );
    expect(alone?.confidence).toBeCloseTo(0.9, 5);
    const withLog = await replay({ edac: EDAC_CE, dmesg: MCE_LOG }, "health");
    expect(hyp(withLog, "edac-memory-errors")?.confidence).toBeCloseTo(0.7, 5);
    expect(hyp(withLog, "hardware-mce")).toBeDefined();
  });

  it("stays quiet with no errors, and with a few corrected ones over weeks", async () => {
    const clean = await replay({ edac: EDAC_CLEAN }, "health");
    expect(hyp(clean, "edac-memory-errors")).toBeUndefined();
    expect(clean.checked.find((c) => c.rule === "edac-memory-errors")?.verdict).toBe("fine");
    // 5 corrected in 1728000 s (20 days): 0.3 a day, below mcelog's 10 / 24h.
    const few = edacWith({ "mc0/ce_count": 5, "mc0/dimm2/dimm_ce_count": 5 });
    const r = await replay({ edac: few }, "health");
    expect(hyp(r, "edac-memory-errors")).toBeUndefined();
    expect(r.checked.find((c) => c.rule === "edac-memory-errors")?.why).toMatch(/0\.3/);
  });
});

describe("scsi-command-errors on the SCSI counters over a window", () => {
  it("names the disk whose failed commands grew during the window", async () => {
    const r = await replay({ "scsi-ioerr.start": SCSI_START, "scsi-ioerr": SCSI_END }, "errors", 5);
    const h = hyp(r, "scsi-command-errors");
    expect(h?.category).toBe("disk-errors-hardware");
    // sdb: ioerr_cnt 0x1 → 0xd, iotmo_cnt 0x0 → 0x2, iodone_cnt 0x121cba → 0x121d3b.
    expect(h?.title).toBe(
      "sdb failed 12 SCSI commands during the window (2 timed out, 129 completed)",
    );
    expect(h?.confidence).toBeCloseTo(0.7, 5);
    expect(h?.evidence[0]?.excerpt).toBe(
      "/sys/block/sdb/device: iodone_cnt 0x121d3b, ioerr_cnt 0xd, iotmo_cnt 0x2 (+12 errors over the window)",
    );
  });

  it("is surer when the kernel log shows the disk's errors", async () => {
    const r = await replay(
      { "scsi-ioerr.start": SCSI_START, "scsi-ioerr": SCSI_END, dmesg: DISK_LOG },
      "errors",
      5,
    );
    expect(hyp(r, "scsi-command-errors")?.confidence).toBeCloseTo(0.85, 5);
    expect(hyp(r, "disk-errors-hardware")).toBeDefined();
  });

  it("stays quiet on errors counted since the probe only, and on an empty DVD drive's polls", async () => {
    const once = await replay({ "scsi-ioerr": SCSI_END }, "errors");
    expect(hyp(once, "scsi-command-errors")).toBeUndefined();
    expect(once.checked.find((c) => c.rule === "scsi-command-errors")?.verdict).toBe("fine");
    // Only sr0's ioerr_cnt grows (0x88cb → 0x88cd): media polls of an empty drive.
    const start = readFixture(SCSI_START);
    const dvd = start.replace(/(sr0\/device\/ioerr_cnt <==\n)0x88cb/, "$10x88cd");
    expect(dvd).not.toBe(start);
    const r = await replay(
      { "scsi-ioerr.start": SCSI_START, "scsi-ioerr": { text: dvd } },
      "errors",
      5,
    );
    expect(hyp(r, "scsi-command-errors")).toBeUndefined();
  });
});
