import { describe, expect, it } from "vitest";
import { bundleReplayer, hyp } from "../helpers/replay-bundle.js";
import { ATA_FAILING, ATA_HEALTHY, smartctlOutput } from "../helpers/smartctl.js";

/**
 * smart-disk-failing (runbooks/disk.yaml) on smartctl outputs replayed as bundles: the drive's
 * own verdict, its ATA attributes, NVMe health log and SCSI defect list.
 */
const replay = bundleReplayer();

const F = "smartctl/";
const NVME_WARNING = `${F}telegraf__smart_test__smartctlNVMeInfoData.txt`;
const SSD_ONE_REALLOCATED = `${F}telegraf__smart_test__ssdRaidInfoData.txt`;
const HGST_SATA = `${F}telegraf__smart_test__hgstSATAInfoData.txt`;
const SAS_OK = `${F}telegraf__smart_test__mockHGST.txt`;
const NETAPP_LUN = `${F}insights-core__test_smartctl__NETAPP_DRIVE.txt`;
const NO_SMART = `${F}insights-core__test_smartctl__CISCO_DRIVE.txt`;
const VM_VIRTIO = `${F}vm-debian12-k6.18__smartctl-vda-no-smart.txt`;
const DISK_LOG =
  "../../../shared/scenarios/bundles/18-disk-medium-errors-unrecovered-read/dmesg.out";

/** The verdict of smart-disk-failing in a report. */
function verdict(r: Awaited<ReturnType<typeof replay>>, rule: string) {
  return r.checked.find((c) => c.rule === rule);
}

describe("smart-disk-failing on smartctl outputs", () => {
  it("is sure of a drive whose self-assessment FAILED with an attribute failing now", async () => {
    const out = smartctlOutput([
      { device: "/dev/sda", fixture: HGST_SATA },
      { device: "/dev/sdb", fixture: ATA_HEALTHY, edits: ATA_FAILING },
    ]);
    const r = await replay({ smartctl: out }, "health");
    const h = hyp(r, "smart-disk-failing");
    expect(h?.category).toBe("disk-errors-hardware");
    expect(h?.key).toBe("t/smart-disk-failing/%2Fdev%2Fsdb");
    expect(h?.title).toBe(
      "/dev/sdb reports signs of failing in its own health data: health FAILED, Reallocated_Sector_Ct FAILING_NOW, 16 pending sectors, 16 offline-uncorrectable sectors, 4049 reallocated sectors",
    );
    expect(h?.confidence).toBe(1);
    expect(r.hypotheses[0]?.category).toBe("disk-errors-hardware");
  });

  it("fires on pending sectors alone with a passing verdict, surer with kernel I/O errors", async () => {
    const pendingOnly: [RegExp, string][] = [ATA_FAILING[2]];
    const out = smartctlOutput([{ device: "/dev/sdc", fixture: ATA_HEALTHY, edits: pendingOnly }]);
    const alone = hyp(await replay({ smartctl: out }, "health"), "smart-disk-failing");
    expect(alone?.title).toMatch(/^\/dev\/sdc reports .*: 16 pending sectors$/);
    expect(alone?.confidence).toBeCloseTo(0.65, 5);
    const withLog = hyp(
      await replay({ smartctl: out, dmesg: DISK_LOG }, "health"),
      "smart-disk-failing",
    );
    expect(withLog?.confidence).toBeCloseTo(0.75, 5);
  });

  it("fires on an NVMe critical warning, naming its bits", async () => {
    const out = smartctlOutput([{ device: "/dev/nvme0", fixture: NVME_WARNING }]);
    const h = hyp(await replay({ smartctl: out }, "disk"), "smart-disk-failing");
    expect(h?.title).toBe(
      "/dev/nvme0 reports signs of failing in its own health data: NVMe critical warning 0x09 (spare below threshold, read-only)",
    );
    expect(h?.confidence).toBeCloseTo(0.8, 5);
  });

  it("fires on NVMe media errors and on spare below its threshold with no warning bit", async () => {
    const media = smartctlOutput([
      {
        device: "/dev/nvme1",
        fixture: NVME_WARNING,
        edits: [
          [/^Critical Warning: 0x09$/m, "Critical Warning: 0x00"],
          [/^Media and Data Integrity Errors: 0$/m, "Media and Data Integrity Errors: 3"],
        ],
      },
    ]);
    const m = hyp(await replay({ smartctl: media }, "health"), "smart-disk-failing");
    expect(m?.title).toMatch(/: 3 NVMe media errors$/);
    expect(m?.confidence).toBeCloseTo(0.7, 5);
    const spare = smartctlOutput([
      {
        device: "/dev/nvme1",
        fixture: NVME_WARNING,
        edits: [
          [/^Critical Warning: 0x09$/m, "Critical Warning: 0x00"],
          [/^Available Spare: 100%$/m, "Available Spare: 8%"],
        ],
      },
    ]);
    const s = hyp(await replay({ smartctl: spare }, "health"), "smart-disk-failing");
    expect(s?.title).toMatch(/: available spare 8 % below its 10 % threshold$/);
    expect(s?.confidence).toBeCloseTo(0.8, 5);
  });

  it("is unsure of one reallocated sector alone", async () => {
    const out = smartctlOutput([{ device: "/dev/sdd", fixture: SSD_ONE_REALLOCATED }]);
    const h = hyp(await replay({ smartctl: out }, "health"), "smart-disk-failing");
    expect(h?.title).toMatch(/: 1 reallocated sector$/);
    expect(h?.confidence).toBeCloseTo(0.35, 5);
  });

  it("does not call interface CRC errors alone a failing disk, and names the cable", async () => {
    const out = smartctlOutput([
      {
        device: "/dev/sde",
        fixture: ATA_HEALTHY,
        edits: [[/^(199 UDMA_CRC_Error_Count .* -\s+)0$/m, "$1214"]],
      },
    ]);
    const r = await replay({ smartctl: out }, "health");
    expect(hyp(r, "smart-disk-failing")).toBeUndefined();
    expect(verdict(r, "smart-disk-failing")?.verdict).toBe("fine");
    // With a media sign as well, the remediation says where the CRC errors come from.
    const both = smartctlOutput([
      {
        device: "/dev/sde",
        fixture: ATA_HEALTHY,
        edits: [[/^(199 UDMA_CRC_Error_Count .* -\s+)0$/m, "$1214"], ATA_FAILING[2]],
      },
    ]);
    const h = hyp(await replay({ smartctl: both }, "health"), "smart-disk-failing");
    expect(h?.title).toMatch(
      /: 16 pending sectors, 214 interface CRC errors \(cable or backplane\)$/,
    );
    expect(h?.remediation.join("\n")).toMatch(/UDMA_CRC_Error_Count, 214 on this disk\) .*cable/);
  });

  it("stays quiet on healthy ATA, SAS and array disks", async () => {
    const out = smartctlOutput([
      { device: "/dev/sda", fixture: ATA_HEALTHY },
      { device: "/dev/sdb", fixture: HGST_SATA },
      { device: "/dev/sdc", fixture: SAS_OK },
      { device: "/dev/sdd", fixture: NETAPP_LUN },
    ]);
    const r = await replay({ smartctl: out }, "health");
    expect(hyp(r, "smart-disk-failing")).toBeUndefined();
    expect(verdict(r, "smart-disk-failing")?.verdict).toBe("fine");
    const lun = await replay(
      { smartctl: smartctlOutput([{ device: "/dev/sdd", fixture: NETAPP_LUN }]) },
      "health",
    );
    expect(verdict(lun, "smart-disk-failing")?.verdict).toBe("fine");
  });

  it("stays quiet on disks without SMART: a VM's virtio disk, a RAID volume", async () => {
    for (const fixture of [VM_VIRTIO, NO_SMART]) {
      const r = await replay({ smartctl: fixture }, "health");
      expect(hyp(r, "smart-disk-failing")).toBeUndefined();
      expect(verdict(r, "smart-disk-failing")?.verdict).toBe("not-evaluated");
      expect(r.hypotheses.filter((h) => h.category === "disk-errors-hardware")).toEqual([]);
    }
  });
});
