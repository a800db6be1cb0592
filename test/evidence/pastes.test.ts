import { existsSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { readEvidence } from "../../src/evidence/index.js";

/**
 * The reference pastes in ../shared/pastes (not shipped: no licence to), when present: every
 * file is read without an error, and most give collector outputs or counts.
 */
const DIR =
  process.env.DIAGBOT_PASTES ?? new URL("../../../shared/pastes", import.meta.url).pathname;
const files = existsSync(DIR)
  ? readdirSync(DIR)
      .filter((f) => /^\d\d-.*\.txt$/.test(f))
      .sort()
  : [];

describe.skipIf(files.length === 0)(`reference pastes in ${DIR}`, () => {
  it("reads every paste, listing what it did not understand", async () => {
    let read = 0;
    for (const f of files) {
      const r = await readEvidence(join(DIR, f));
      if (r.outputs.length + r.counts.length > 0) read++;
      else expect(r.ignored.length, f).toBeGreaterThan(0);
    }
    expect(read).toBeGreaterThanOrEqual(38);
  });
});

if (files.length === 0) console.log(`skipped: no reference pastes in ${DIR}`);
