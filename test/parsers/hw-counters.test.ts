import { describe, expect, it } from "vitest";
import { parseEdac } from "../../src/parsers/edac.js";
import { parseScsiIoerr } from "../../src/parsers/scsi-ioerr.js";
import { UnrecognisedOutputError } from "../../src/parsers/types.js";
import { parseFixture, parseText, readFixture } from "../helpers/fixtures.js";
import { expectOnlyUnrecognised } from "../helpers/garbage.js";

/** A sysfs listing cut into its `==> path <==` and value pairs, each ending in a newline. */
function pairs(text: string): string[] {
  return text.match(/==> .* <==\n.*\n/g) ?? [];
}

/** The sysfs hardware error counters: EDAC (drivers/edac/edac_mc_sysfs.c) and SCSI (drivers/scsi/scsi_sysfs.c). */
describe("edac parser", () => {
  it("reads each controller's counts and each DIMM's label and counts", () => {
    const { facts, problems } = parseFixture(
      parseEdac,
      "edac/constructed__edac-sb_edac-ce-one-dimm.txt",
    );
    expect(problems).toEqual([]);
    expect(facts.controllers.map((c) => c.mc)).toEqual(["mc0", "mc1"]);
    const mc1 = facts.controllers[1];
    expect(mc1).toMatchObject({ ce_count: 214, ue_count: 0, seconds_since_reset: 259200 });
    expect(mc1.dimms[1]).toEqual({
      name: "dimm1",
      label: "CPU_SrcID#1_Ha#0_Chan#1_DIMM#0",
      ce_count: 214,
      ue_count: 0,
    });
    expect(mc1.dimms).toHaveLength(4);
  });

  it("keeps a DIMM without a label unlabelled and reports a value that is not a count", () => {
    const text = [
      "==> /sys/devices/system/edac/mc/mc0/ce_count <==",
      "x7",
      "==> /sys/devices/system/edac/mc/mc0/rank2/dimm_label <==",
      "",
      "==> /sys/devices/system/edac/mc/mc0/rank2/dimm_ce_count <==",
      "5",
    ].join("\n");
    const { facts, problems } = parseText(parseEdac, text);
    expect(facts.controllers[0].dimms).toEqual([{ name: "rank2", ce_count: 5 }]);
    expect(facts.controllers[0].ce_count).toBeUndefined();
    expect(problems).toEqual([{ line: 2, text: "x7", reason: "ce_count is not a count" }]);
  });

  it("rejects empty, foreign and garbage input with the documented error", () => {
    expect(() => parseText(parseEdac, "")).toThrow(UnrecognisedOutputError);
    expect(() => parseText(parseEdac, "==> /proc/sys/fs/file-nr <==\n1 0 2\n")).toThrow(
      UnrecognisedOutputError,
    );
    const pieces = pairs(readFixture("edac/constructed__edac-sb_edac-ce-one-dimm.txt"));
    const out = expectOnlyUnrecognised(parseEdac, pieces, 7);
    expect(out.read).toBeGreaterThan(0);
    expect(out.unrecognised).toBeGreaterThan(0);
  });
});

describe("scsi-ioerr parser", () => {
  it("reads the 0x counts of each device", () => {
    const { facts, problems } = parseFixture(
      parseScsiIoerr,
      "scsi-ioerr/constructed__scsi-ioerr-sdb-failing.txt",
    );
    expect(problems).toEqual([]);
    expect(facts.devices.find((d) => d.device === "sdb")).toEqual({
      device: "sdb",
      iodone_cnt: 0x121d3b,
      ioerr_cnt: 13,
      iotmo_cnt: 2,
    });
    expect(facts.devices.map((d) => d.device)).toEqual(["sda", "sdb", "sr0"]);
  });

  it("reports a decimal value and a foreign file instead of guessing", () => {
    const text = [
      "==> /sys/block/sda/device/ioerr_cnt <==",
      "12",
      "==> /sys/block/sda/device/queue_depth <==",
      "32",
      "==> /sys/block/sda/device/iodone_cnt <==",
      "0x10",
    ].join("\n");
    const { facts, problems } = parseText(parseScsiIoerr, text);
    expect(facts.devices).toEqual([{ device: "sda", iodone_cnt: 16 }]);
    expect(problems.map((p) => [p.line, p.reason])).toEqual([
      [3, "not one of the files read"],
      [2, "ioerr_cnt is not a 0x count"],
    ]);
  });

  it("rejects empty, foreign and garbage input with the documented error", () => {
    expect(() => parseText(parseScsiIoerr, "")).toThrow(UnrecognisedOutputError);
    expect(() => parseText(parseScsiIoerr, "0x3\n")).toThrow(UnrecognisedOutputError);
    const pieces = pairs(readFixture("scsi-ioerr/constructed__scsi-ioerr-start.txt"));
    const out = expectOnlyUnrecognised(parseScsiIoerr, pieces, 11);
    expect(out.read).toBeGreaterThan(0);
    expect(out.unrecognised).toBeGreaterThan(0);
  });
});
