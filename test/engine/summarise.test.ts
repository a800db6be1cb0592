import { describe, expect, it } from "vitest";
import { summarise } from "../../src/engine/summarise.js";
import { fakeReport } from "../helpers/reports.js";

describe("summarise: the collectors' sentence", () => {
  it("counts those that gave output, and names apart those with nothing to read", () => {
    const report = fakeReport();
    report.collectors.push(
      { id: "edac", status: "skipped", durationMs: 0, error: "no EDAC memory controller" },
      { id: "netstat-s", status: "skipped", durationMs: 0, error: "nstat is installed" },
    );
    expect(summarise(report)).toMatch(
      / 1 of 4 collectors gave output \(2 had nothing to read on this host\)\.$/,
    );
  });

  it("says nothing more when none was skipped", () => {
    expect(summarise(fakeReport())).toMatch(/ 1 of 2 collectors gave output\.$/);
  });
});
