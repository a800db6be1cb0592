import { describe, expect, it } from "vitest";
import { mce } from "../../../src/derive/kernel-log/mce.js";
import { bundleDmesg, found, judgeWith } from "./judge-with.js";

/**
 * EDAC counts in the 3.10+ wording of drivers/edac/edac_mc.c: `EDAC MC%d: %d CE %s%son %s (…)`
 * and `%d UE …` (../shared/kernel-messages.md §10); the location and detail fields as sb_edac
 * prints them in scenario 06.
 */
const edac = (t: number, count: number, type: "CE" | "UE", dimm: string) =>
  `[${t.toFixed(6)}] EDAC MC0: ${count} ${type} memory read error on ${dimm} (channel:1 slot:0 page:0x4a1b2 offset:0x0 grain:32${type === "CE" ? " syndrome:0x0" : ""} -  area:DRAM err_code:0001:0091 socket:0 ha:0 channel_mask:2 rank:0)`;

describe("mce judge (arch/x86/kernel/cpu/mce, drivers/edac)", () => {
  it("counts a corrected memory error on the DIMM it names (scenario 06)", () => {
    const bag = judgeWith(mce, bundleDmesg("06-mce-corrected-dimm-errors-replaced-ram"));
    expect(found(bag)).toEqual({
      "mce.events": 1,
      "mce.corrected": 1,
      "mce.memory": true,
      "mce.location": "CPU_SrcID#1_Ha#0_Chan#0_DIMM#0",
    });
    expect(bag.values.get("mce.uncorrected")).toBe(0);
    // The report's lines are one event, cited by its first line.
    expect(bag.excerpts.get("mce.location")).toBe(
      "Feb 23 03:28:16 kernel: mce: [Hardware Error]: Machine check events logged",
    );
    expect(bag.sources.get("mce.corrected")).toBe("dmesg");
  });

  it("adds the error counts the EDAC lines print, corrected apart from uncorrected", () => {
    const dimm = "CPU_SrcID#0_Ha#0_Chan#1_DIMM#0";
    const bag = judgeWith(mce, [
      edac(100, 3, "CE", dimm),
      edac(160, 5, "CE", dimm),
      edac(200, 1, "UE", dimm),
    ]);
    expect(bag.values.get("mce.events")).toBe(3);
    expect(bag.values.get("mce.corrected")).toBe(3 + 5);
    expect(bag.values.get("mce.uncorrected")).toBe(1);
    expect(bag.values.get("mce.location")).toBe(dimm);
    expect(bag.excerpts.get("mce.corrected")).toBe(edac(100, 3, "CE", dimm));
    expect(bag.excerpts.get("mce.uncorrected")).toBe(edac(200, 1, "UE", dimm));
  });

  it("counts the uncorrected machine check of a corrupt processor context (mce/core.c)", () => {
    const line = "[ 5021.000001] mce: [Hardware Error]: Machine check: Processor context corrupt";
    const bag = judgeWith(mce, [line]);
    expect(bag.values.get("mce.uncorrected")).toBe(1);
    expect(bag.values.get("mce.corrected")).toBe(0);
    expect(bag.excerpts.get("mce.uncorrected")).toBe(line);
  });

  it("keeps a corrupt-context machine check apart from a corrected EDAC count a second later", () => {
    const pcc = "[ 4021.000001] mce: [Hardware Error]: Machine check: Processor context corrupt";
    const ce =
      "[ 4022.000001] EDAC MC1: 1 CE memory read error on unknown memory (page:0x4a1b2 offset:0x0 grain:32 syndrome:0x0)";
    const bag = judgeWith(mce, [pcc, ce]);
    expect(bag.values.get("mce.events")).toBe(2);
    expect(bag.values.get("mce.uncorrected")).toBe(1);
    expect(bag.values.get("mce.corrected")).toBe(1);
    expect(bag.excerpts.get("mce.uncorrected")).toBe(pcc);
  });

  it("cites the line that names the controller when no DIMM is named", () => {
    // drivers/edac/edac_mc.c edac_mc_handle_error names the label `unknown memory` when no DIMM
    // matches the address (the parser keeps no DIMM for it).
    const pcc = "[ 4021.000001] mce: [Hardware Error]: Machine check: Processor context corrupt";
    const unknown =
      "[ 5022.000001] EDAC MC1: 1 CE memory read error on unknown memory (page:0x4a1b2 offset:0x0 grain:32 syndrome:0x0)";
    const bag = judgeWith(mce, [pcc, unknown]);
    expect(bag.values.get("mce.location")).toBe("MC1");
    expect(bag.excerpts.get("mce.location")).toBe(unknown);
  });

  it("sets nothing of its own for a disk error, nor for errors older than the look-back", () => {
    const disk = judgeWith(mce, bundleDmesg("18-disk-medium-errors-unrecovered-read"));
    expect(found(disk)).toEqual({});
    expect(disk.values.has("mce.memory")).toBe(false);
    expect(disk.excerpts.size).toBe(0);
    const old = judgeWith(mce, [edac(100, 3, "CE", "DIMM_A1")], { uptimeS: 100 + 7200 });
    expect(found(old)).toEqual({});
  });
});
