import { describe, expect, it } from "vitest";
import { gpu } from "../../../src/parsers/dmesg/gpu.js";
import { isListed, readWith } from "./read-with.js";

describe("GPU family (NVIDIA NVRM messages)", () => {
  it("is listed with its sources", () => expect(isListed(gpu)).toBe(true));

  it("reads an Xid with its PCI address and pid", () => {
    const [e] = readWith(gpu, [
      "[ 9001.2] NVRM: Xid (PCI:0000:3b:00): 79, pid=2317, GPU has fallen off the bus.",
    ]);
    expect(e).toMatchObject({ kind: "gpu-xid", xid: 79, pci: "0000:3b:00", pid: 2317 });
  });
});
