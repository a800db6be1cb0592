import { describe, expect, it } from "vitest";
import { progressLine } from "../../src/cli/progress.js";
import { type Progress, progressText } from "../../src/model/progress.js";
import { ProgressThrottle } from "../../src/queue/progress.js";
import { rootText } from "../../src/render/blocks.js";

/**
 * Progress that shows the window: the countdown and the samplers running, then the parse,
 * evaluate and answer phases, on a terminal and in the Slack root message, whose edits are
 * throttled.
 */
const sampling: Progress = {
  phase: "sampling",
  done: 22,
  total: 35,
  running: ["iostat", "mpstat", "vmstat"],
  windowLeft: 3,
  windowSeconds: 5,
};

describe("progress text", () => {
  it("counts the window down with the samplers that run, then names each phase", () => {
    expect(progressText(sampling)).toBe(
      "sampling: 3 s left of 5 s (iostat, mpstat, vmstat), 22/35 collectors done",
    );
    expect(
      progressText({ phase: "collecting", done: 34, total: 35, running: ["perf-sched"] }),
    ).toBe("collecting: 34/35 collectors done (waiting for perf-sched)");
    expect(progressText({ ...sampling, running: ["a", "b", "c", "d", "e", "f"] })).toMatch(
      /\(a, b, c, d \+2\)/,
    );
    expect(progressText({ phase: "parsing", done: 35, total: 35, running: [] })).toBe(
      "parsing 35 outputs",
    );
    expect(progressText({ phase: "evaluating", done: 35, total: 35, running: [] })).toBe(
      "evaluating the rules",
    );
  });

  it("on a terminal: one line rewritten in place, cut to its width, cleared at the end", () => {
    const written: string[] = [];
    const stream = {
      isTTY: true,
      columns: 60,
      write: (s: string) => written.push(s) > 0,
    } as unknown as NodeJS.WriteStream;
    const line = progressLine(stream, "host-42");
    line.update(sampling);
    line.update({ phase: "evaluating", done: 35, total: 35, running: [] });
    line.done();
    expect(written[0]).toBe(
      "\r\u001b[2Kdiagnosing host-42: sampling: 3 s left of 5 s (iostat, mps…",
    );
    expect(written[1]).toBe("\r\u001b[2Kdiagnosing host-42: evaluating the rules");
    expect(written[2]).toBe("\r\u001b[2K");
  });

  it("in the Slack root message, escaped", () => {
    const text = rootText(
      { host: "host-42", symptom: "cpu" },
      { phase: "running", progress: { ...sampling, running: ["<!channel>"] } },
    );
    expect(text).toBe(
      ":hourglass_flowing_sand: diagnosing host-42 (cpu)… sampling: 3 s left of 5 s (&lt;!channel&gt;), 22/35 collectors done",
    );
  });
});

describe("ProgressThrottle", () => {
  it("sends the first update at once, then at most one per interval, carrying the latest", async () => {
    const sent: { at: number; p: Progress }[] = [];
    const t = new ProgressThrottle(300, async (p) => {
      sent.push({ at: Date.now(), p });
    });
    const start = Date.now();
    for (let i = 1; i <= 20; i++) {
      t.update({ ...sampling, done: i, windowLeft: 5 - Math.floor(i / 5) });
      await new Promise((r) => setTimeout(r, 40));
    }
    await new Promise((r) => setTimeout(r, 400));
    await t.stop();
    expect(sent[0].at - start).toBeLessThan(100);
    for (let i = 1; i < sent.length; i++)
      expect(sent[i].at - sent[i - 1].at).toBeGreaterThanOrEqual(295);
    expect(sent.length).toBeLessThanOrEqual(5);
    expect(sent.at(-1)?.p.done).toBe(20);
  });
});
