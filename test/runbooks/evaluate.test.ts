import { describe, expect, it } from "vitest";
import type { DerivedFacts, FactSpec, FactTree, FactValue } from "../../src/derive/types.js";
import { evaluateRunbooks, rankHypotheses, symptomWeight } from "../../src/engine/rank.js";
import {
  evaluateCondition,
  factAt,
  formatNumber,
  renderTemplate,
} from "../../src/runbooks/evaluate.js";
import { parseRunbooks } from "../../src/runbooks/load.js";
import type { Condition, Runbook } from "../../src/runbooks/schema.js";

/** A small catalogue and rules written for these tests, independent of the packaged ones. */
const CATALOGUE: FactSpec<string>[] = [
  { path: "a.n", type: "number", from: ["ca"], doc: "a number" },
  { path: "a.m", type: "number", from: ["ca"], doc: "another number" },
  { path: "a.s", type: "string", from: ["ca"], doc: "a string" },
  { path: "a.b", type: "boolean", from: ["ca"], doc: "a boolean" },
  { path: "a.list", type: "string[]", from: ["ca"], doc: "a list" },
  { path: "b.n", type: "number", from: ["cb"], doc: "a number of cb" },
];

function derived(
  flat: Record<string, FactValue>,
  excerpts: Record<string, string> = {},
): DerivedFacts {
  const tree: FactTree = {};
  const sources = new Map<string, string>();
  for (const [path, value] of Object.entries(flat)) {
    const keys = path.split(".");
    let node = tree;
    for (const k of keys.slice(0, -1)) {
      node[k] ??= {};
      node = node[k] as FactTree;
    }
    node[keys[keys.length - 1]] = value;
    sources.set(path, path.startsWith("b.") ? "cb" : "ca");
  }
  return { tree, excerpts: new Map(Object.entries(excerpts)), sources, mode: "window", notes: [] };
}

function rules(yaml: string): Runbook[] {
  const r = parseRunbooks(yaml, "test.yaml", {
    catalogue: CATALOGUE,
    collectors: new Set(["ca", "cb", "cc"]),
    baseDir: "/nonexistent",
  });
  expect(r.issues).toEqual([]);
  return r.runbooks;
}

const cmp = (fact: string, op: string, value: unknown): Condition =>
  ({ fact, op, value }) as Condition;

describe("three-valued conditions", () => {
  const tree = derived({ "a.n": 5, "a.s": "sda", "a.b": false, "a.list": ["x", "y"] }).tree;
  const T = cmp("a.n", "gte", 1);
  const F = cmp("a.n", "gt", 10);
  const U = cmp("b.n", "gt", 1);

  it("comparisons", () => {
    expect(evaluateCondition(T, tree).truth).toBe(true);
    expect(evaluateCondition(F, tree).truth).toBe(false);
    expect(evaluateCondition(U, tree).truth).toBeUndefined();
    expect(evaluateCondition(U, tree).missing).toEqual(["b.n"]);
    expect(evaluateCondition(cmp("a.s", "matches", "^sd"), tree).truth).toBe(true);
    expect(evaluateCondition(cmp("a.s", "in", ["sdb", "sda"]), tree).truth).toBe(true);
    expect(evaluateCondition(cmp("a.s", "ne", "sda"), tree).truth).toBe(false);
    expect(evaluateCondition(cmp("a.b", "eq", false), tree).truth).toBe(true);
  });

  it("string[] facts compare element-wise", () => {
    expect(evaluateCondition(cmp("a.list", "eq", "y"), tree).truth).toBe(true);
    expect(evaluateCondition(cmp("a.list", "ne", "y"), tree).truth).toBe(false);
    expect(evaluateCondition(cmp("a.list", "in", ["z", "x"]), tree).truth).toBe(true);
    expect(evaluateCondition(cmp("a.list", "matches", "^q"), tree).truth).toBe(false);
  });

  it("exists is known even when the fact is absent", () => {
    expect(evaluateCondition(cmp("b.n", "exists", false), tree).truth).toBe(true);
    expect(evaluateCondition(cmp("b.n", "exists", true), tree).truth).toBe(false);
    expect(evaluateCondition(cmp("a.n", "exists", true), tree).truth).toBe(true);
    expect(evaluateCondition(cmp("a.n", "exists", false), tree).reasons).toEqual([
      { kind: "present", fact: "a.n", value: 5 },
    ]);
  });

  it("fact references", () => {
    const t = derived({ "a.n": 5, "a.m": 3 }).tree;
    expect(evaluateCondition(cmp("a.n", "gt", { fact: "a.m" }), t).truth).toBe(true);
    expect(evaluateCondition(cmp("a.n", "gt", { fact: "b.n" }), t)).toMatchObject({
      truth: undefined,
      missing: ["b.n"],
    });
  });

  it("Kleene all / any / not", () => {
    expect(evaluateCondition({ all: [T, U] }, tree).truth).toBeUndefined();
    expect(evaluateCondition({ all: [F, U] }, tree).truth).toBe(false);
    expect(evaluateCondition({ any: [T, U] }, tree).truth).toBe(true);
    expect(evaluateCondition({ any: [F, U] }, tree).truth).toBeUndefined();
    expect(evaluateCondition({ any: [F, F] }, tree).truth).toBe(false);
    expect(evaluateCondition({ not: U }, tree).truth).toBeUndefined();
    expect(evaluateCondition({ not: F }, tree).truth).toBe(true);
  });

  it("records what held and why it was false", () => {
    const r = evaluateCondition({ any: [T, F] }, tree);
    expect(r.held.map((h) => h.comparison)).toEqual([T]);
    const f = evaluateCondition({ all: [T, F] }, tree);
    expect(f.reasons).toEqual([{ kind: "unmet", comparison: F, value: 5 }]);
  });

  it("reads only leaves", () => {
    expect(factAt(tree, "a")).toBeUndefined();
    expect(factAt(tree, "a.n.x")).toBeUndefined();
    expect(factAt(tree, "__proto__")).toBeUndefined();
  });
});

const BASE = `
- id: r-fire
  category: disk-saturation
  subject: host
  title: "{{a.s}} at {{a.n}} %"
  symptoms: [latency]
  needs: [ca]
  when: { all: [ { fact: a.n, gte: 1 }, { fact: a.s, eq: sda } ] }
  confidence:
    base: 0.5
    boosts:
      - { when: { fact: a.m, gte: 1 }, add: 0.3 }
      - { when: { fact: b.n, gte: 1 }, add: 0.3 }
    penalties:
      - { when: { fact: a.b, eq: true }, sub: 0.2 }
  evidence: ["{{a.s}} is at {{a.n}} %", "list {{#a.list}}<{{.}}>{{/a.list}}"]
  remediation: ["fix {{a.s}} & co"]
  next: ["look at {{a.s}}"]
  source: "test"
- id: r-fine
  category: cpu-saturation
  subject: host
  title: "t"
  symptoms: [cpu]
  needs: [ca]
  when: { fact: a.n, gt: 100 }
  confidence: { base: 0.5 }
  remediation: ["r"]
  source: "s"
- id: r-missing-collector
  category: steal-time
  subject: host
  title: "t"
  symptoms: [cpu]
  needs: [ca, [cb, cc]]
  when: { fact: b.n, gt: 0 }
  confidence: { base: 0.5 }
  remediation: ["r"]
  source: "s"
- id: r-missing-fact
  category: memory-oom
  subject: host
  title: "t"
  symptoms: [memory]
  needs: [ca]
  when: { fact: b.n, gt: 0 }
  confidence: { base: 0.5 }
  remediation: ["r"]
  source: "s"
`;

describe("evaluateRunbooks", () => {
  const rs = rules(BASE);

  it("fires, leaves fine, and does not evaluate what it cannot", () => {
    const d = derived(
      { "a.n": 42, "a.s": "sda", "a.m": 2, "a.b": true, "a.list": ["p", "q"] },
      { "a.n": "raw line a.n" },
    );
    const { hypotheses, checked } = evaluateRunbooks(rs, d, new Set(["ca"]), "latency");
    expect(hypotheses).toHaveLength(1);
    const h = hypotheses[0];
    expect(h.rule).toBe("r-fire");
    expect(h.title).toBe("sda at 42 %");
    // base 0.5 + 0.3 (a.m) − 0.2 (a.b); the b.n boost is unknown and does not count.
    expect(h.confidence).toBeCloseTo(0.6);
    expect(h.score).toBeCloseTo(0.6);
    expect(h.remediation).toEqual(["fix sda & co"]);
    expect(h.next).toEqual(["look at sda"]);
    expect(h.evidence).toEqual([
      { collector: "ca", fact: "a.n", value: 42, threshold: ">= 1", excerpt: "raw line a.n" },
      {
        collector: "ca",
        fact: "a.s",
        value: "sda",
        threshold: '== "sda"',
        excerpt: "sda is at 42 %",
      },
      { collector: "ca", fact: "a.m", value: 2, threshold: ">= 1", excerpt: "sda is at 42 %" },
    ]);
    const byRule = Object.fromEntries(checked.map((c) => [c.rule, c]));
    expect(byRule["r-fine"]).toMatchObject({ verdict: "fine", why: "a.n is 42 (rule: > 100)" });
    expect(byRule["r-missing-collector"]).toMatchObject({
      verdict: "not-evaluated",
      why: "needs output of cb or cc, which is missing",
    });
    expect(byRule["r-missing-fact"]).toMatchObject({ verdict: "not-evaluated" });
    expect(byRule["r-missing-fact"].why).toMatch(/no value for b\.n/);
  });

  it("clamps confidence to 0..1", () => {
    const over = rules(BASE.replace("base: 0.5\n    boosts", "base: 0.9\n    boosts"));
    const d = derived({ "a.n": 42, "a.s": "sda", "a.m": 2, "b.n": 3 });
    const [h] = evaluateRunbooks(over, d, new Set(["ca", "cb"]), "latency").hypotheses;
    expect(h.confidence).toBe(1);
  });

  it("gives no hypothesis when nothing crosses a threshold", () => {
    const d = derived({ "a.n": 0, "a.s": "sda" });
    const r = evaluateRunbooks(rs, d, new Set(["ca", "cb"]), "health");
    expect(r.hypotheses).toEqual([]);
    expect(r.checked).toHaveLength(rs.length);
  });

  it("weighs by symptom: listed 1.0, health 1.0, other 0.5", () => {
    const d = derived({ "a.n": 42, "a.s": "sda" });
    const score = (s: Parameters<typeof evaluateRunbooks>[3]) =>
      evaluateRunbooks(rs, d, new Set(["ca"]), s).hypotheses[0].score;
    expect(score("latency")).toBeCloseTo(0.5);
    expect(score("health")).toBeCloseTo(0.5);
    expect(score("memory")).toBeCloseTo(0.25);
    expect(symptomWeight(["latency"], "cpu")).toBe(0.5);
  });
});

describe("minSamples", () => {
  const yaml = `
- id: r-mean
  category: other
  subject: host
  title: "mean {{a.n}}"
  symptoms: [latency]
  needs: [ca]
  when: { fact: a.n, gte: 1 }
  confidence: { base: 0.6 }
  remediation: ["look"]
  source: "test"
  minSamples:
    - { fact: a.m, min: 20, unit: switches, source: "twenty switches" }
`;
  it("does not evaluate a rule below its smallest sample, and says so", () => {
    const [h] = evaluateRunbooks(
      rules(yaml),
      derived({ "a.n": 4.29, "a.m": 1 }),
      new Set(["ca"]),
      "latency",
    ).checked;
    expect(h).toEqual({
      rule: "r-mean",
      category: "other",
      verdict: "not-evaluated",
      why: "too few samples: a.m is 1 switches, the rule trusts 20 or more (twenty switches)",
    });
  });

  it("evaluates it at or above the sample, and when the count is absent", () => {
    const cases: Record<string, FactValue>[] = [{ "a.n": 4.29, "a.m": 20 }, { "a.n": 4.29 }];
    for (const flat of cases) {
      const r = evaluateRunbooks(rules(yaml), derived(flat), new Set(["ca"]), "latency");
      expect(r.hypotheses.map((x) => x.rule)).toEqual(["r-mean"]);
    }
  });

  it("refuses a count fact that is unknown or not a number at load", () => {
    for (const [fact, message] of [
      ["a.zz", /unknown fact "a\.zz"/],
      ["a.s", /needs a numeric fact/],
    ] as const) {
      const r = parseRunbooks(yaml.replace("fact: a.m,", `fact: ${fact},`), "t.yaml", {
        catalogue: CATALOGUE,
        collectors: new Set(["ca"]),
        baseDir: "/nonexistent",
      });
      expect(r.issues.map((i) => `${i.field}: ${i.message}`).join("\n")).toMatch(message);
    }
  });
});

describe("supersedes", () => {
  const yaml = `
- id: symptom
  category: hung-task
  subject: host
  title: "hung"
  symptoms: [hang]
  needs: [ca]
  when: { fact: a.n, gte: 1 }
  confidence: { base: 0.8 }
  remediation: ["r"]
  source: "s"
- id: cause
  category: dirty-writeback-stall
  subject: host
  title: "writeback"
  symptoms: [hang]
  needs: [ca]
  when: { fact: a.m, gte: 1 }
  confidence: { base: 0.5 }
  remediation: ["r"]
  supersedes: [hung-task]
  source: "s"
`;

  it("ranks the symptom below its cause and marks it explained", () => {
    const rs = rules(yaml);
    const { hypotheses } = evaluateRunbooks(
      rs,
      derived({ "a.n": 1, "a.m": 1 }),
      new Set(["ca"]),
      "hang",
    );
    expect(hypotheses.map((h) => h.rule)).toEqual(["cause", "symptom"]);
    expect(hypotheses[1].explainedBy).toBe("cause");
    expect(hypotheses[1].title).toBe("hung (explained by dirty-writeback-stall)");
    expect(hypotheses[1].score).toBeLessThan(hypotheses[0].score);
  });

  it("leaves the symptom alone when the cause does not fire", () => {
    const rs = rules(yaml);
    const { hypotheses } = evaluateRunbooks(
      rs,
      derived({ "a.n": 1, "a.m": 0 }),
      new Set(["ca"]),
      "hang",
    );
    expect(hypotheses.map((h) => h.rule)).toEqual(["symptom"]);
    expect(hypotheses[0].explainedBy).toBeUndefined();
  });

  it("does not loop on mutual supersedes", () => {
    const mk = (
      rule: string,
      category: "hung-task" | "kernel-bug",
      sup: "hung-task" | "kernel-bug",
      c: number,
    ) => ({
      hypothesis: {
        category,
        title: rule,
        rule,
        confidence: c,
        score: 0,
        evidence: [],
        remediation: [],
      },
      symptoms: ["hang" as const],
      supersedes: [sup],
    });
    const out = rankHypotheses(
      [mk("a", "hung-task", "kernel-bug", 0.9), mk("b", "kernel-bug", "hung-task", 0.5)],
      "hang",
    );
    expect(out.map((h) => h.rule)).toEqual(["a", "b"]);
    expect(out[1].explainedBy).toBe("a");
    expect(out[0].explainedBy).toBeUndefined();
  });
});

describe("ranking ties", () => {
  it("prefers the symptom's categories, then confidence, then rule id", () => {
    const mk = (rule: string, category: "filesystem-full" | "disk-saturation", c: number) => ({
      hypothesis: {
        category,
        title: rule,
        rule,
        confidence: c,
        score: 0,
        evidence: [],
        remediation: [],
      },
      symptoms: ["latency" as const, "disk" as const],
      supersedes: [],
    });
    const out = rankHypotheses(
      [mk("full", "filesystem-full", 0.6), mk("sat", "disk-saturation", 0.6)],
      "latency",
    );
    expect(out.map((h) => h.rule)).toEqual(["sat", "full"]);
  });
});

describe("templates", () => {
  it("fill facts without HTML escaping and round numbers", () => {
    expect(renderTemplate("{{a}} <&> {{b.c}}", { a: "x<y", b: { c: 1 } })).toBe("x<y <&> 1");
    expect(renderTemplate("{{a}} of {{b.c}}", { a: 1 })).toBe("1 of ?");
    expect(renderTemplate("{{#b.c}}has {{b.c}}{{/b.c}}{{^b.c}}none{{/b.c}}", { a: 1 })).toBe(
      "none",
    );
    expect(formatNumber(12.3456)).toBe("12.35");
    expect(formatNumber(0.012345)).toBe("0.0123");
    expect(formatNumber(7)).toBe("7");
  });
});
