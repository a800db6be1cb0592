import { describe, expect, it } from "vitest";
import { FACT_CATALOGUE } from "../../src/derive/index.js";
import { DiagbotError } from "../../src/model/errors.js";
import {
  formatIssue,
  lintRunbooks,
  loadRunbooks,
  parseRunbooks,
  regexProblem,
  suggest,
} from "../../src/runbooks/load.js";
import { fixturePath } from "../helpers/fixtures.js";

/** Loader fixture sets (probot style): basic, empty, evil, malformed, missing. */
const dir = (name: string) => fixturePath(`runbooks/${name}`);

function issuesFor(result: ReturnType<typeof lintRunbooks>, rule: string): string[] {
  return result.issues.filter((i) => i.rule === rule).map(formatIssue);
}

describe("loader: basic", () => {
  it("loads a list file and a single-rule file", async () => {
    const rules = await loadRunbooks(dir("basic"));
    expect(rules.map((r) => r.id).sort()).toEqual([
      "basic-disk-errors",
      "basic-disk-saturation",
      "basic-inodes",
    ]);
  });

  it("normalises comparisons and fills defaults", async () => {
    const rules = await loadRunbooks(dir("basic"));
    const sat = rules.find((r) => r.id === "basic-disk-saturation")!;
    expect(sat.when).toEqual({
      all: [
        { fact: "disk.worst.util_pct", op: "gte", value: 90 },
        { fact: "disk.worst.await_ms", op: "gt", value: { fact: "disk.worst.service_ms" } },
        { not: { fact: "disk.since_boot", op: "eq", value: true } },
      ],
    });
    expect(sat.confidence.boosts[0].add).toBe(0.2);
    expect(sat.next).toEqual(["iostat -x 1 5"]);
    const errs = rules.find((r) => r.id === "basic-disk-errors")!;
    expect(errs.evidence).toEqual([]);
    expect(errs.uses).toEqual([]);
    expect(errs.supersedes).toEqual(["hung-task"]);
    const inodes = rules.find((r) => r.id === "basic-inodes")!;
    expect(inodes.needs).toEqual([["df-inodes", "df"]]);
    expect(inodes.examples).toEqual([
      { bundle: "bundle-inodes" },
      { bundle: "bundle-inodes", category: "inode-exhaustion" },
    ]);
    expect(inodes.file).toMatch(/single\.yml$/);
  });

  it("loads the packaged runbooks without a problem", () => {
    const result = lintRunbooks(fixturePath("../../runbooks"));
    expect(result.issues.map(formatIssue)).toEqual([]);
    expect(result.runbooks.length).toBeGreaterThan(25);
  });
});

describe("loader: empty", () => {
  it("reports files without rules, and refuses a folder with no rule at all", async () => {
    const result = lintRunbooks(dir("empty"));
    expect(result.issues).toEqual([]);
    expect(result.emptyFiles.length).toBe(2);
    await expect(loadRunbooks(dir("empty"))).rejects.toThrow(/no runbook rule found/);
  });
});

describe("loader: missing", () => {
  it("refuses a folder without YAML files", async () => {
    const err = await loadRunbooks(dir("missing")).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DiagbotError);
    expect((err as DiagbotError).code).toBe("runbook");
    expect((err as DiagbotError).message).toMatch(/holds no \*\.yaml runbook file/);
  });

  it("refuses a folder that does not exist, with a hint", async () => {
    const err = (await loadRunbooks(dir("no-such-folder")).catch(
      (e: unknown) => e,
    )) as DiagbotError;
    expect(err.code).toBe("runbook");
    expect(err.message).toMatch(/does not exist/);
    expect(err.message).toMatch(/DIAGBOT_RUNBOOKS/);
    expect(err.hint).toBeTruthy();
  });
});

describe("loader: malformed", () => {
  const result = lintRunbooks(dir("malformed"));

  it("names the file and line of a YAML syntax error", () => {
    const syntax = result.issues.filter((i) => i.file.endsWith("syntax.yaml"));
    expect(syntax.length).toBeGreaterThan(0);
    expect(syntax[0].field).toMatch(/^line \d+$/);
    // One line, the position once (in the field), no excerpt of the file.
    for (const i of syntax) expect(i.message).toMatch(/^YAML syntax: [^\n]*[^:\n]$/);
    for (const i of syntax) expect(i.message).not.toMatch(/at line \d+/);
  });

  it("rejects unknown keys", () => {
    expect(issuesFor(result, "unknown-key")).toEqual([
      expect.stringMatching(/rules\.yaml: rule unknown-key: unknown key threshhold$/),
    ]);
  });

  it("rejects a string threshold on a numeric comparison", () => {
    expect(issuesFor(result, "string-threshold").join("\n")).toMatch(/when\.gte/);
  });

  it("rejects a fact nothing declares and suggests the closest names", () => {
    const [issue] = issuesFor(result, "unknown-fact");
    expect(issue).toMatch(/when\.fact: unknown fact "disk\.worst\.utl_pct"/);
    expect(issue).toMatch(/closest: .*disk\.worst\.util_pct/);
  });

  it("requires remediation", () => {
    expect(issuesFor(result, "missing-remediation")).toEqual([
      expect.stringMatching(/remediation: is required/),
    ]);
  });

  it("requires a subject, which keys a finding across runs", () => {
    expect(issuesFor(result, "missing-subject")).toEqual([
      expect.stringMatching(/subject: is required/),
    ]);
  });

  it("rejects an unknown category with the valid ones", () => {
    expect(issuesFor(result, "unknown-category")[0]).toMatch(
      /category: "disk-slow" is not one of cpu-saturation,/,
    );
  });

  it("allows one operator per comparison", () => {
    expect(issuesFor(result, "two-operators")[0]).toMatch(/2 operators \(gte, lte\)/);
  });

  it("checks thresholds against the fact's type", () => {
    expect(issuesFor(result, "numeric-op-on-string")[0]).toMatch(
      /when\.gte: gte needs a numeric fact; disk\.worst\.device is string/,
    );
    expect(issuesFor(result, "ref-type-mismatch")[0]).toMatch(
      /compares disk\.worst\.util_pct \(number\) with disk\.worst\.device \(string\)/,
    );
  });

  it("checks the names templates read", () => {
    expect(issuesFor(result, "unknown-template-fact")[0]).toMatch(
      /title: template names unknown fact "disk\.worst\.devise" \(closest: disk\.worst\.device/,
    );
  });

  it("checks collector ids", () => {
    expect(issuesFor(result, "unknown-collector")[0]).toMatch(
      /needs\[0\]: unknown collector "iostats" \(closest: iostat/,
    );
  });

  it("checks patterns and ranges", () => {
    expect(issuesFor(result, "bad-regex")[0]).toMatch(/not a valid regular expression/);
    expect(issuesFor(result, "confidence-out-of-range")[0]).toMatch(/confidence\.base/);
  });

  it("reports duplicate ids across files, naming the first", () => {
    expect(issuesFor(result, "dup-id")).toEqual([
      expect.stringMatching(
        /z-duplicate\.yaml: rule dup-id: id: duplicate rule id, first defined in .*rules\.yaml/,
      ),
    ]);
  });

  it("checks that example bundles exist", () => {
    expect(issuesFor(result, "missing-example")[0]).toMatch(
      /examples\[0\]: bundle folder no-such-bundle does not exist/,
    );
  });

  it("throws one DiagbotError listing the problems", async () => {
    const err = (await loadRunbooks(dir("malformed")).catch((e: unknown) => e)) as DiagbotError;
    expect(err).toBeInstanceOf(DiagbotError);
    expect(err.code).toBe("runbook");
    expect(err.message).toMatch(/problems in the runbooks/);
    expect(err.hint).toMatch(/runbooks lint/);
  });
});

describe("loader: evil", () => {
  const result = lintRunbooks(dir("evil"));
  const of = (file: string) =>
    result.issues
      .filter((i) => i.file.endsWith(file))
      .map(formatIssue)
      .join("\n");

  it("refuses alias bombs", () => {
    expect(of("alias-bomb.yaml")).toMatch(/alias/i);
  });

  it("rejects __proto__ and constructor keys without polluting prototypes", () => {
    expect(of("proto.yaml")).toMatch(/unknown keys? .*__proto__/);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it("refuses patterns with nested quantifiers", () => {
    expect(of("redos.yaml")).toMatch(/nested quantifiers/);
  });

  it("refuses partials and delimiter changes in templates", () => {
    expect(of("template.yaml")).toMatch(/partials and delimiter changes/);
  });

  it("refuses conditions nested too deep", () => {
    expect(of("deep.yaml")).toMatch(/nest deeper than/);
  });

  it("loads none of them", () => {
    expect(result.runbooks).toEqual([]);
  });
});

describe("parseRunbooks", () => {
  it("accepts several YAML documents in one text", () => {
    const text = [
      "id: a",
      "category: other",
      "subject: host",
      "title: t",
      "symptoms: [health]",
      "needs: [dmesg]",
      "when: { fact: hung.tasks, gte: 1 }",
      "confidence: { base: 0.5 }",
      "remediation: [r]",
      "source: s",
      "---",
      "id: b",
      "category: other",
      "subject: host",
      "title: t",
      "symptoms: [health]",
      "needs: [dmesg]",
      "when: { fact: hung.tasks, exists: true }",
      "confidence: { base: 0.5 }",
      "remediation: [r]",
      "source: s",
    ].join("\n");
    const r = parseRunbooks(text, "mem.yaml", { baseDir: "/nonexistent" });
    expect(r.issues).toEqual([]);
    expect(r.runbooks.map((x) => x.id)).toEqual(["a", "b"]);
  });

  it("accepts a custom catalogue", () => {
    const catalogue = [{ path: "x.y", type: "number" as const, from: ["c"], doc: "" }];
    const text =
      "id: a\ncategory: other\nsubject: host\ntitle: '{{x.y}}'\nsymptoms: [health]\nneeds: [c]\nwhen: { fact: x.y, gte: 1 }\nconfidence: { base: 0.5 }\nremediation: [r]\nsource: s\n";
    expect(parseRunbooks(text, "a.yaml", { catalogue }).issues).toEqual([]);
    expect(parseRunbooks(text, "a.yaml").issues[0].message).toMatch(/unknown fact "x\.y"/);
  });

  it("names a rule of a list by its position when it has no id", () => {
    const r = parseRunbooks("- { category: other }\n", "l.yaml");
    expect(r.issues[0].rule).toBe("#1");
    expect(r.issues.some((i) => i.field === "id" && i.message === "is required")).toBe(true);
  });
});

describe("helpers", () => {
  it("regexProblem", () => {
    expect(regexProblem("^sd[a-z]+$")).toBeUndefined();
    expect(regexProblem("(a*)*b")).toMatch(/nested/);
    expect(regexProblem("(x)\\1")).toMatch(/back-references/);
  });

  it("suggest", () => {
    expect(
      suggest(
        "cpu.idle_pc",
        FACT_CATALOGUE.map((f) => f.path),
      ),
    ).toMatch(/cpu\.idle_pct/);
  });

  it("every catalogue path is unique and typed", () => {
    const paths = FACT_CATALOGUE.map((f) => f.path);
    expect(new Set(paths).size).toBe(paths.length);
    for (const f of FACT_CATALOGUE) {
      expect(["number", "string", "boolean", "string[]"]).toContain(f.type);
      expect(f.doc.length, f.path).toBeGreaterThan(0);
    }
  });

  it("catalogue paths never nest under another path", () => {
    const paths = new Set(FACT_CATALOGUE.map((f) => f.path));
    for (const p of paths) {
      const parts = p.split(".");
      for (let i = 1; i < parts.length; i++) {
        expect(paths.has(parts.slice(0, i).join(".")), `${p} under a leaf`).toBe(false);
      }
    }
  });
});
