import { describe, expect, it } from "vitest";
import { sweepProgress } from "../../src/sweeps/terminal.js";
import type { HostResult } from "../../src/sweeps/types.js";

/** The progress line of a sweep on a terminal: its counts are the table's statuses. */
describe("sweep progress bar", () => {
  const result = (host: string, status: HostResult["status"]): HostResult => ({
    host,
    status,
    findings: [],
    durationMs: 10,
  });

  it("counts unreachable and failed hosts apart, and is silent off a terminal", () => {
    const written: string[] = [];
    const tty = {
      isTTY: true,
      write: (s: string) => written.push(s),
    } as unknown as NodeJS.WriteStream;
    const bar = sweepProgress(tty, 4);
    for (const h of ["a", "b", "c", "d"]) bar.start(h);
    bar.finish(result("a", "ok"));
    bar.finish(result("b", "unreachable"));
    bar.finish(result("c", "unreachable"));
    bar.finish(result("d", "failed"));
    bar.stop();
    const last = written.filter((w) => w.includes("done")).at(-1) ?? "";
    expect(last).toMatch(/\] 4\/4 done, 2 unreachable, 1 failed$/);

    const piped: string[] = [];
    const pipe = {
      isTTY: false,
      write: (s: string) => piped.push(s),
    } as unknown as NodeJS.WriteStream;
    const quiet = sweepProgress(pipe, 1);
    quiet.finish(result("a", "failed"));
    quiet.stop();
    expect(piped).toEqual([]);
  });
});
