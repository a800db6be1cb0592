import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { parseDmesg } from "../../../src/parsers/dmesg.js";

/**
 * Every wording of the kernel-message survey (292 format strings from mm/, kernel/, net/, fs/,
 * block/, drivers/ and arch/x86 across 2.6.9–6.19 and RHEL 5/7/8), filled with realistic values in
 * test/fixtures/kernel-messages/wordings.tsv: each event line is classified into its kind with the
 * numbers it carries read; each line that belongs to a report (`-`) gives no event of its own.
 */
interface Wording {
  row: number;
  kind: string;
  fields: Record<string, string | number | boolean>;
  source: string;
  versions: string;
  line: string;
}

function value(v: string): string | number | boolean {
  if (v === "true" || v === "false") return v === "true";
  return /^-?\d+$/.test(v) ? Number(v) : v;
}

const WORDINGS: Wording[] = readFileSync("test/fixtures/kernel-messages/wordings.tsv", "utf8")
  .split("\n")
  .filter((l) => l !== "" && !l.startsWith("#"))
  .map((l, i) => {
    const [kind = "", fields = "", source = "", versions = "", line = ""] = l.split("\t");
    const pairs =
      fields === "" ? [] : fields.split(",").map((f) => f.split("=") as [string, string]);
    return {
      row: i + 1,
      kind,
      source,
      versions,
      line,
      fields: Object.fromEntries(pairs.map(([k, v]) => [k, value(v)])),
    };
  });

describe("kernel-message wordings across versions", () => {
  it("has every wording of the survey", () => expect(WORDINGS).toHaveLength(292));

  for (const w of WORDINGS) {
    const title = `${w.row} ${w.source} ${w.versions}: ${w.line.slice(0, 70)}`;
    it(title, () => {
      const { facts } = parseDmesg([`[ 5359.372082] ${w.line}`]);
      if (w.kind === "-") {
        expect(facts.events.map((e) => e.kind)).toEqual([]);
        return;
      }
      expect(facts.events.map((e) => e.kind)).toEqual([w.kind]);
      expect(facts.events[0]).toMatchObject(w.fields);
    });
  }
});
