import { copyFileSync, mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { readSos } from "../../src/evidence/sos.js";
import { fixturePath } from "../helpers/fixtures.js";

/** A sos report's per-disk smartctl files (sos_commands/ata/smartctl_-a_.dev.sdX) as one output. */
describe("sos report smartctl files", () => {
  const dirs: string[] = [];
  afterEach(() => {
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });

  it("reads every disk's file under its device marker", async () => {
    const root = mkdtempSync(join(tmpdir(), "diagbot-test-sos-"));
    dirs.push(root);
    mkdirSync(join(root, "sos_commands", "ata"), { recursive: true });
    const files = {
      "smartctl_-a_.dev.sda": "smartctl/insights-core__test_smartctl__STANDARD_DRIVE.txt",
      "smartctl_-a_.dev.nvme0n1": "smartctl/telegraf__smart_test__smartctlNVMeInfoData.txt",
    };
    for (const [name, fixture] of Object.entries(files)) {
      copyFileSync(fixturePath(fixture), join(root, "sos_commands", "ata", name));
    }
    const read = await readSos(root, "sos");
    const out = read.outputs.find((o) => o.id === "smartctl");
    expect(out?.recognisedAs).toMatch(/^sos report sos_commands\/ata\/smartctl_-a_/);
    const markers = String(out?.out).match(/^==> .* <==$/gm);
    expect(markers?.sort()).toEqual(["==> /dev/nvme0n1 <==", "==> /dev/sda <=="]);
  });
});
