import { describe, expect, it } from "vitest";
import { mce } from "../../../src/parsers/dmesg/mce.js";
import { isListed, readWith } from "./read-with.js";

describe("MCE/EDAC family (drivers/edac/edac_mc.c, arch/x86/kernel/cpu/mce)", () => {
  it("is listed with its sources", () => expect(isListed(mce)).toBe(true));

  it("reads an EDAC corrected-error count with its DIMM (scenario-06)", () => {
    const [e] = readWith(mce, [
      "Feb 23 03:28:16  kernel: EDAC MC1: 1 CE memory scrubbing error on CPU_SrcID#1_Ha#0_Chan#0_DIMM#0 (channel:0 slot:0 page:0xee30a0 offset:0x0 grain:32 syndrome:0x0 -  area:DRAM err_code:0008:00c2 socket:1 ha:0 channel_mask:1 rank:1)",
    ]);
    expect(e).toMatchObject({
      kind: "mce",
      mc: 1,
      count: 1,
      corrected: true,
      error: "memory scrubbing error",
      dimm: "CPU_SrcID#1_Ha#0_Chan#0_DIMM#0",
    });
  });

  it("reads the machine-check notice", () => {
    const [e] = readWith(mce, [
      "Feb 23 03:28:16 kernel: mce: [Hardware Error]: Machine check events logged",
    ]);
    expect(e).toMatchObject({ kind: "mce", wallclock: "--02-23T03:28:16" });
  });
});
