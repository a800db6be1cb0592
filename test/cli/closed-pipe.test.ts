import { spawnSync } from "node:child_process";
import { describe, expect, it } from "vitest";
import { BIN } from "../helpers/cli.js";

/**
 * `diagbot collectors | head -1`: `head` exits after its first bytes, and diagbot's next write
 * finds the pipe closed (EPIPE). diagbot ends quietly with 0, as the writers `head` reads from
 * usually do, instead of printing a stack trace.
 */
describe("a reader that goes away", () => {
  it("ends diagbot quietly with 0 when `head` closes the pipe", () => {
    for (const verb of ["collectors", "sudoers"]) {
      const r = spawnSync(
        "bash",
        [
          "-c",
          `"$0" "$1" ${verb} | head -c 1 >/dev/null; exit "\${PIPESTATUS[0]}"`,
          process.execPath,
          BIN,
        ],
        { encoding: "utf8" },
      );
      expect(r.stderr, verb).toBe("");
      expect(r.status, verb).toBe(0);
    }
  });
});
