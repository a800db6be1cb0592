import { availableParallelism } from "node:os";
import { describe, expect, it } from "vitest";
import { categories, diagnoseLocal, evidenceText, startGroup } from "./helpers.js";

/** `stress-ng --cpu` with twice as many workers as CPUs: runnable threads above CPU count. */
describe("fault: CPU saturation (stress-ng at 2x CPUs)", () => {
  it("control: no cpu-saturation finding before the load", async () => {
    const report = await diagnoseLocal("cpu");
    expect(categories(report)).not.toContain("cpu-saturation");
  });

  for (const symptom of ["cpu", "latency"]) {
    it(`names cpu-saturation first for ${symptom}`, async () => {
      const workers = String(availableParallelism() * 2);
      const load = startGroup("stress-ng", ["--cpu", workers, "--timeout", "60s", "--quiet"]);
      try {
        await new Promise((r) => setTimeout(r, 2000));
        const report = await diagnoseLocal(symptom);
        expect(categories(report)[0]).toBe("cpu-saturation");
        expect(evidenceText(report.hypotheses[0])).toMatch(/stress-ng|run queue|runnable/i);
      } finally {
        load.stop();
      }
    });
  }
});
