import { describe, expect, it } from "vitest";
import { readFixture } from "../helpers/fixtures.js";
import { bundleReplayer, hyp } from "../helpers/replay-bundle.js";

/**
 * rasdaemon-memory-errors and rasdaemon-pcie-aer (runbooks/kernel.yaml) on `ras-mc-ctl
 * --summary` outputs replayed as bundles: the empty database recorded on a Debian 12 VM, a
 * corrected MCE from rasdaemon issue #121, and the 0.6.8 script's output on database rows
 * written for the tests (test/fixtures/MANIFEST.tsv).
 */
const replay = bundleReplayer();

const DIR = "ras-mc-ctl";
const NO_EVENTS = `${DIR}/vm-debian12-k6.18__ras-mc-ctl-summary-no-events.txt`;
const UE_DIMM = `${DIR}/constructed__ras-mc-ctl-summary-ue-dimm.txt`;
const CE_DIMM = `${DIR}/constructed__ras-mc-ctl-summary-ce-one-dimm.txt`;
const CE_FEW = `${DIR}/constructed__ras-mc-ctl-summary-ce-few.txt`;
const AER = `${DIR}/constructed__ras-mc-ctl-summary-aer-fatal.txt`;
const ISSUE_121 = `${DIR}/rasdaemon-issue-121__ras-mc-ctl-0.8.0-summary-mce-corrected.txt`;
const MCE_LOG =
  "../../../shared/scenarios/bundles/06-mce-corrected-dimm-errors-replaced-ram/dmesg.out";

describe("rasdaemon-memory-errors on ras-mc-ctl --summary", () => {
  it("is sure of an uncorrected memory event and names its DIMM", async () => {
    const r = await replay({ "ras-mc-ctl": UE_DIMM }, "health");
    const h = hyp(r, "rasdaemon-memory-errors");
    expect(h?.category).toBe("hardware-mce");
    expect(h?.title).toBe(
      "rasdaemon recorded 1 uncorrected and 39 corrected memory/machine-check events since it started recording, most on CPU_SrcID#0_Ha#0_Chan#1_DIMM#0",
    );
    expect(h?.confidence).toBeCloseTo(0.85, 5);
    expect(h?.key).toBe("t/rasdaemon-memory-errors/CPU_SrcID%230_Ha%230_Chan%231_DIMM%230");
    expect(h?.evidence[0]?.excerpt).toBe(
      "Corrected on DIMM Label(s): 'CPU_SrcID#0_Ha#0_Chan#1_DIMM#0' location: 0:1:0:-1 errors: 37; Uncorrected on DIMM Label(s): 'CPU_SrcID#0_Ha#0_Chan#1_DIMM#0' location: 0:1:0:-1 errors: 1",
    );
    // Its 4 corrected AER events alone do not make a PCIe finding.
    expect(hyp(r, "rasdaemon-pcie-aer")).toBeUndefined();
  });

  it("fires less surely on corrected events piling on one DIMM, surer with machine checks in the log", async () => {
    const r = await replay({ "ras-mc-ctl": CE_DIMM }, "health");
    const h = hyp(r, "rasdaemon-memory-errors");
    expect(h?.title).toMatch(
      /recorded 0 uncorrected and 13 corrected .*most on CPU_SrcID#0_Ha#0_Chan#1_DIMM#0$/,
    );
    expect(h?.confidence).toBeCloseTo(0.45, 5);
    const withLog = await replay({ "ras-mc-ctl": CE_DIMM, dmesg: MCE_LOG }, "health");
    expect(hyp(withLog, "rasdaemon-memory-errors")?.confidence).toBeCloseTo(0.55, 5);
  });

  it("fires weakly on machine-check records whose summary does not tell the severity", async () => {
    const intel =
      "No Memory errors.\n\nMCE records summary:\n\t5 MEMORY CONTROLLER RD_CHANNEL0_ERR errors\n";
    const h = hyp(
      await replay({ "ras-mc-ctl": { text: intel } }, "health"),
      "rasdaemon-memory-errors",
    );
    expect(h?.title).toMatch(
      /0 uncorrected and 0 corrected .*most on MCE: MEMORY CONTROLLER RD_CHANNEL0_ERR$/,
    );
    expect(h?.confidence).toBeCloseTo(0.45, 5);
  });

  it("stays quiet on no events, a few corrected ones and one corrected MCE (issue #121)", async () => {
    const clean = await replay({ "ras-mc-ctl": NO_EVENTS }, "health");
    expect(hyp(clean, "rasdaemon-memory-errors")).toBeUndefined();
    expect(clean.checked.find((c) => c.rule === "rasdaemon-memory-errors")?.verdict).toBe("fine");
    expect(hyp(clean, "rasdaemon-pcie-aer")).toBeUndefined();
    expect(clean.checked.find((c) => c.rule === "rasdaemon-pcie-aer")?.verdict).toBe("fine");
    for (const file of [CE_FEW, ISSUE_121]) {
      const r = await replay({ "ras-mc-ctl": file }, "health");
      expect(hyp(r, "rasdaemon-memory-errors"), file).toBeUndefined();
      expect(r.checked.find((c) => c.rule === "rasdaemon-memory-errors")?.verdict, file).toBe(
        "fine",
      );
    }
  });

  it("is not evaluated where rasdaemon has no database (the collector recorded nothing)", async () => {
    const stderr = readFixture(
      `${DIR}/vm-debian12-k6.18__ras-mc-ctl-summary-no-database.stderr.txt`,
    );
    const r = await replay({ "ras-mc-ctl": { text: "" } }, "health");
    expect(hyp(r, "rasdaemon-memory-errors")).toBeUndefined();
    expect(r.checked.find((c) => c.rule === "rasdaemon-memory-errors")?.verdict).not.toBe("fine");
    const onStderr = await replay({ "ras-mc-ctl": { text: stderr } }, "health");
    expect(hyp(onStderr, "rasdaemon-memory-errors")).toBeUndefined();
    expect(hyp(onStderr, "rasdaemon-pcie-aer")).toBeUndefined();
  });
});

describe("rasdaemon-pcie-aer on ras-mc-ctl --summary", () => {
  it("is sure of a fatal AER event and names the error", async () => {
    const r = await replay({ "ras-mc-ctl": AER }, "health");
    const h = hyp(r, "rasdaemon-pcie-aer");
    expect(h?.category).toBe("hardware-mce");
    expect(h?.title).toBe(
      "rasdaemon recorded uncorrected PCIe errors since it started recording: 1 fatal, 2 non-fatal (most severe: Completion Timeout)",
    );
    expect(h?.confidence).toBeCloseTo(0.8, 5);
    expect(h?.key).toBe("t/rasdaemon-pcie-aer/Completion%20Timeout");
    expect(hyp(r, "rasdaemon-memory-errors")).toBeUndefined();
  });

  it("is less sure of non-fatal ones, and silent on corrected ones alone", async () => {
    const text = readFixture(AER);
    const nonFatal = text.replace(/^\t1 Uncorrected \(Fatal\) errors: Completion Timeout\n/m, "");
    expect(nonFatal).not.toBe(text);
    const h = hyp(
      await replay({ "ras-mc-ctl": { text: nonFatal } }, "health"),
      "rasdaemon-pcie-aer",
    );
    expect(h?.title).toMatch(/0 fatal, 2 non-fatal \(most severe: Unsupported Request\)$/);
    expect(h?.confidence).toBeCloseTo(0.5, 5);
    const corrected = nonFatal.replace(
      /^\t2 Uncorrected \(Non-Fatal\) errors: Unsupported Request\n/m,
      "",
    );
    expect(corrected).toContain("6 Corrected errors: Receiver Error");
    const r = await replay({ "ras-mc-ctl": { text: corrected } }, "health");
    expect(hyp(r, "rasdaemon-pcie-aer")).toBeUndefined();
    expect(r.checked.find((c) => c.rule === "rasdaemon-pcie-aer")?.verdict).toBe("fine");
  });
});
