import { describe, expect, it } from "vitest";
import { bug } from "../../../src/derive/kernel-log/bug.js";
import { bundleDmesg, found, judgeWith } from "./judge-with.js";
import { SIGNATURES } from "./lines.js";

describe("bug judge (kernel/panic.c, kernel/watchdog.c, kernel/rcu, arch/x86, net/core/dev.c)", () => {
  it("names each signature by its own line", () => {
    for (const [line, sig] of SIGNATURES) {
      const bag = judgeWith(bug, [line]);
      expect({ line, sigs: bag.values.get("kernel.bug_signatures") }).toEqual({
        line,
        sigs: [sig],
      });
      expect(bag.values.get("kernel.bug_events")).toBe(1);
      expect(bag.values.get("kernel.bug_line")).toBe(line);
    }
  });

  it("counts every signature of a log, each named once, and cites the first", () => {
    const lines = SIGNATURES.map(([line]) => line);
    const bag = judgeWith(bug, [...lines, lines[0].replace("1234.567890", "2200.000001")]);
    expect(bag.values.get("kernel.bug_events")).toBe(SIGNATURES.length + 1);
    expect(bag.values.get("kernel.bug_signatures")).toEqual(SIGNATURES.map(([, sig]) => sig));
    for (const path of ["kernel.bug_events", "kernel.bug_signatures", "kernel.bug_line"]) {
      expect(bag.excerpts.get(path)).toBe(lines[0]);
      expect(bag.sources.get(path)).toBe("dmesg");
    }
  });

  it("sets nothing of its own for a hung task or a link going down, nor for an oops older than the look-back", () => {
    const hung = judgeWith(bug, bundleDmesg("29-hung-task-jbd2-dirty-writeback-slow-storage"));
    expect(found(hung)).toEqual({});
    expect(hung.values.has("kernel.bug_line")).toBe(false);
    // A link state change is a nic-link event too, but not a transmit timeout.
    const link = judgeWith(bug, ["[ 5000.1] mlx5_core 0000:3b:00.0 ens1f0: Link down"]);
    expect(found(link)).toEqual({});
    const old = judgeWith(bug, [SIGNATURES[0][0]], { uptimeS: 1234.6 + 3601 });
    expect(found(old)).toEqual({});
    expect(old.excerpts.size).toBe(0);
  });
});
