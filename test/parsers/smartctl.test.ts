import { describe, expect, it } from "vitest";
import { parseSmartctl } from "../../src/parsers/smartctl.js";
import { UnrecognisedOutputError } from "../../src/parsers/types.js";
import { parseFixture, parseText, readFixture } from "../helpers/fixtures.js";
import { expectOnlyUnrecognised } from "../helpers/garbage.js";
import { ATA_FAILING, ATA_HEALTHY, smartctlOutput } from "../helpers/smartctl.js";

const F = "smartctl/";

/** smartctl -H -A outputs of ATA, SCSI and NVMe disks (smartctl(8)). */
describe("smartctl parser", () => {
  it("reads an ATA drive's verdict and attribute table in the default layout", () => {
    const { facts, problems } = parseFixture(parseSmartctl, ATA_HEALTHY);
    expect(problems).toEqual([]);
    expect(facts.disks).toHaveLength(1);
    const d = facts.disks[0];
    expect(d).toMatchObject({
      device: "",
      model: "ST500LM021-1KJ152",
      protocol: "ata",
      smart: "available",
      health: "PASSED",
      health_failed: false,
    });
    expect(d.attributes).toHaveLength(22);
    expect(d.attributes.find((a) => a.id === 5)).toEqual({
      id: 5,
      name: "Reallocated_Sector_Ct",
      value: 100,
      worst: 100,
      thresh: 36,
      when_failed: "-",
      raw: 0,
      raw_text: "0",
    });
    // RAW_VALUE keeps its text; `raw` is its leading integer.
    expect(d.attributes.find((a) => a.id === 9)).toMatchObject({
      raw: 4273,
      raw_text: "4273 (5 89 0)",
    });
  });

  it("reads the --format=brief layout, its legend, `---` thresholds and a reallocated sector", () => {
    const { facts, problems } = parseFixture(
      parseSmartctl,
      `${F}telegraf__smart_test__ssdRaidInfoData.txt`,
    );
    expect(problems).toEqual([]);
    const d = facts.disks[0];
    expect(d.model).toBe("Samsung SSD 850 PRO 256GB");
    expect(d.attributes).toHaveLength(14);
    expect(d.attributes.find((a) => a.id === 5)).toMatchObject({
      raw: 1,
      thresh: 10,
      when_failed: "-",
    });
    const brief = parseFixture(parseSmartctl, `${F}telegraf__smart_test__hgstSATAInfoData.txt`);
    expect(brief.problems).toEqual([]);
    expect(brief.facts.disks[0].attributes.map((a) => a.id)).toContain(199);
  });

  it("reads a failing drive: FAILED!, FAILING_NOW, pending and uncorrectable sectors", () => {
    const out = smartctlOutput([{ device: "/dev/sdb", fixture: ATA_HEALTHY, edits: ATA_FAILING }]);
    const { facts, problems } = parseText(parseSmartctl, out.text);
    expect(problems).toEqual([]);
    const d = facts.disks[0];
    expect(d).toMatchObject({ device: "/dev/sdb", health: "FAILED", health_failed: true });
    expect(d.attributes.find((a) => a.id === 5)).toMatchObject({
      value: 2,
      thresh: 36,
      when_failed: "FAILING_NOW",
      raw: 4049,
    });
    expect(d.attributes.find((a) => a.id === 197)?.raw).toBe(16);
  });

  it("reads SCSI health status and grown defect list", () => {
    const sas = parseFixture(parseSmartctl, `${F}telegraf__smart_test__mockHGST.txt`);
    expect(sas.problems).toEqual([]);
    expect(sas.facts.disks[0]).toMatchObject({
      model: "HGST HUSMM1640ASS200",
      protocol: "scsi",
      health: "OK",
      health_failed: false,
      grown_defects: 0,
    });
    const lun = parseFixture(parseSmartctl, `${F}insights-core__test_smartctl__NETAPP_DRIVE.txt`);
    expect(lun.facts.disks[0]).toMatchObject({
      protocol: "scsi",
      health: "OK",
      model: "NETAPP LUN",
    });
    expect(lun.facts.disks[0].grown_defects).toBeUndefined();
  });

  it("reads the NVMe health log, thousands separators included", () => {
    const { facts, problems } = parseFixture(
      parseSmartctl,
      `${F}telegraf__smart_test__smartctlNVMeInfoData.txt`,
    );
    expect(problems).toEqual([]);
    expect(facts.disks[0]).toMatchObject({
      protocol: "nvme",
      health: "PASSED",
      model: "TS128GMTE850",
    });
    expect(facts.disks[0].nvme).toEqual({
      critical_warning: 9,
      available_spare: 100,
      available_spare_threshold: 10,
      percentage_used: 16,
      media_errors: 0,
      error_log_entries: 119699,
    });
  });

  it("says why a disk gave no SMART data: no support, a VM's virtio disk", () => {
    const cisco = parseFixture(parseSmartctl, `${F}insights-core__test_smartctl__CISCO_DRIVE.txt`);
    expect(cisco.facts.disks[0]).toMatchObject({
      smart: "unsupported",
      reason: "Device does not support SMART",
    });
    expect(cisco.facts.disks[0].health).toBeUndefined();
    const vm = parseFixture(parseSmartctl, `${F}vm-debian12-k6.18__smartctl-vda-no-smart.txt`);
    expect(vm.problems).toEqual([]);
    expect(vm.facts.disks).toEqual([
      {
        device: "/dev/vda",
        smart: "unsupported",
        reason: "/dev/vda: Unable to detect device type",
        attributes: [],
      },
    ]);
  });

  it("reads each disk under its marker", () => {
    const out = smartctlOutput([
      { device: "/dev/sda", fixture: ATA_HEALTHY },
      { device: "/dev/nvme0", fixture: `${F}telegraf__smart_test__smartctlNVMeInfoData.txt` },
      { device: "/dev/bus/0 -d megaraid,0", fixture: `${F}telegraf__smart_test__mockHGST.txt` },
    ]);
    const { facts, problems } = parseText(parseSmartctl, out.text);
    expect(problems).toEqual([]);
    expect(facts.disks.map((d) => [d.device, d.protocol])).toEqual([
      ["/dev/sda", "ata"],
      ["/dev/nvme0", "nvme"],
      ["/dev/bus/0 -d megaraid,0", "scsi"],
    ]);
  });

  it("reports a broken attribute row and text before smartctl's output", () => {
    const text = [
      "$ sudo smartctl -H -A /dev/sda",
      "smartctl 7.3 2022-02-28 r5338 [x86_64-linux-6.1.0] (local build)",
      "=== START OF READ SMART DATA SECTION ===",
      "SMART overall-health self-assessment test result: PASSED",
      "ID# ATTRIBUTE_NAME          FLAG     VALUE WORST THRESH TYPE      UPDATED  WHEN_FAILED RAW_VALUE",
      "  5 Reallocated_Sector_Ct   0x0033   100   100   036    Pre-fail  Always       -       0",
      "197 Current_Pending_Sector  0x0012   100   ...",
    ].join("\n");
    const { facts, problems } = parseText(parseSmartctl, text);
    expect(facts.disks[0].attributes.map((a) => a.id)).toEqual([5]);
    expect(problems).toEqual([
      { line: 1, text: "$ sudo smartctl -H -A /dev/sda", reason: "not smartctl output" },
      {
        line: 7,
        text: "197 Current_Pending_Sector  0x0012   100   ...",
        reason: "not a SMART attribute row",
      },
    ]);
  });

  it("rejects empty, foreign and garbage input with the documented error", () => {
    expect(() => parseText(parseSmartctl, "")).toThrow(UnrecognisedOutputError);
    expect(() => parseText(parseSmartctl, "==> /dev/sda <==\nMemTotal: 1 kB\n")).toThrow(
      UnrecognisedOutputError,
    );
    const pieces = readFixture(ATA_HEALTHY).split(/(?<=\n)/);
    const out = expectOnlyUnrecognised(parseSmartctl, pieces, 11);
    expect(out.read).toBeGreaterThan(0);
    expect(out.unrecognised).toBeGreaterThan(0);
  });
});
