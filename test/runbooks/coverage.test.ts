import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { coverageMarkdown, ruleKinds, testsOf } from "../../src/runbooks/coverage.js";
import { lintRunbooks } from "../../src/runbooks/load.js";
import { runCli } from "../helpers/cli.js";
import { fixturePath } from "../helpers/fixtures.js";

describe("runbooks/COVERAGE.md", () => {
  const runbooks = lintRunbooks(fixturePath("../../runbooks")).runbooks;

  it("is the generator's output (diagbot runbooks coverage --check)", async () => {
    const r = await runCli(["runbooks", "coverage", "--check"]);
    expect(r.stdout).toContain("is up to date");
    expect(r.code).toBe(0);
  });

  it("reads a rule's kinds of evidence from the collectors of its condition's facts", () => {
    const byId = (id: string) => runbooks.find((r) => r.id === id);
    expect([...ruleKinds(byId("hung-task") as never)]).toEqual(["kernel messages"]);
    expect(ruleKinds(byId("fd-limit-low") as never).has("limits and tunables")).toBe(true);
  });

  it("counts a test that names a rule, not the example replay", () => {
    const tests = [
      { path: "test/runbooks/scenarios.test.ts", text: 'expect(h.rule).toBe("x-rule")' },
      { path: "test/runbooks/a.test.ts", text: 'expect(h.rule).toBe("x-rule")' },
      { path: "test/runbooks/b.test.ts", text: 'const kind = "x-rule";' },
    ];
    expect(testsOf("x-rule", tests)).toEqual(["test/runbooks/a.test.ts"]);
    expect(coverageMarkdown(runbooks, [])).toContain("(no test)");
    expect(readFileSync(fixturePath("../../runbooks/COVERAGE.md"), "utf8")).toContain(
      "| kernel-bug |",
    );
  });
});
