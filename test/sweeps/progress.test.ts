import { describe, expect, it } from "vitest";
import { sweepProgress } from "../../src/sweeps/terminal.js";
import type { HostResult } from "../../src/sweeps/types.js";

/** The progress line of a sweep on a terminal: its counts are the table's statuses. */
describe("sweep progress bar", () => {
  /** A bar over a stream that records what is written, on a terminal or not. */
  const barOn = (isTTY: boolean, total: number) => {
    const written: string[] = [];
    const stream = {
      isTTY,
      write: (s: string) => written.push(s),
    } as unknown as NodeJS.WriteStream;
    const bar = sweepProgress(stream, total);
    const finish = (host: string, status: HostResult["status"]) =>
      bar.finish({ host, status, findings: [], durationMs: 10 });
    return { bar, finish, written };
  };

  it("counts unreachable and failed hosts apart", () => {
    const { bar, finish, written } = barOn(true, 4);
    for (const h of ["a", "b", "c", "d"]) bar.start(h);
    finish("a", "ok");
    finish("b", "unreachable");
    finish("c", "unreachable");
    finish("d", "failed");
    bar.stop();
    const last = written.filter((w) => w.includes("done")).at(-1) ?? "";
    expect(last).toMatch(/\] 4\/4 done, 2 unreachable, 1 failed$/);
  });

  it("is silent off a terminal", () => {
    const { bar, finish, written } = barOn(false, 1);
    finish("a", "failed");
    bar.stop();
    expect(written).toEqual([]);
  });
});
