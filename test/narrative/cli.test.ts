import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { Report } from "../../src/model/report.js";
import { narrativeConfig } from "../../src/narrative/index.js";
import { runCli } from "../helpers/cli.js";
import { type StandIn, startStandIn } from "../helpers/openai-stand-in.js";
import { EXAMPLES, exampleReport, groundedAnswer } from "./fixtures.js";

/** `diagbot diagnose` with the narrative on: the report first, the narrative after it. */

const BUNDLE = join(EXAMPLES, "fault-disk-saturation");
let s: StandIn;
let report: Report;
let env: NodeJS.ProcessEnv;
beforeAll(async () => {
  s = await startStandIn();
  report = await exampleReport(BUNDLE, "disk");
  env = {
    OPENAI_API_KEY: s.apiKey,
    OPENAI_BASE_URL: s.baseURL,
    DIAGBOT_LLM_MODEL: "stand-in-model",
  };
});
afterAll(() => s.close());
beforeEach(() => {
  s.requests.length = 0;
});

describe("diagbot diagnose with a model", () => {
  it("prints the report, then the narrative marked as the model's", async () => {
    s.script({ content: groundedAnswer(report) });
    const r = await runCli(["diagnose", "x", "disk", "--from", BUNDLE], { env });
    expect(r.code).toBe(0);
    const at = r.stdout.indexOf(
      "Narrative (written by stand-in-model, checked against the evidence):",
    );
    expect(at).toBeGreaterThan(0);
    expect(r.stdout.indexOf("disk-saturation")).toBeLessThan(at);
    expect(r.stdout.slice(at)).toContain(groundedAnswer(report).text);
    expect(r.stdout.slice(at)).toMatch(/LLM: 1 request, \d+ tokens \(\d+ prompt, \d+ completion\)/);
    expect(s.requests).toHaveLength(1);
  });

  it("--json carries a kept narrative and the tokens; a discarded one leaves a note", async () => {
    s.script({ content: groundedAnswer(report) });
    const ok = await runCli(["diagnose", "x", "disk", "--from", BUNDLE, "--json"], { env });
    expect(ok.json.narrative).toEqual({
      ...groundedAnswer(report),
      model: "stand-in-model",
      topCategory: undefined,
    });
    expect(ok.json.llm.tokens.total).toBeGreaterThan(0);
    expect(ok.json.hypotheses[0].evidence[0].id).toBe("disk-saturation#1");

    s.script({ content: { ...groundedAnswer(report), topCategory: "memory-oom" } });
    const bad = await runCli(["diagnose", "x", "disk", "--from", BUNDLE, "--json"], { env });
    expect(bad.json.narrative).toBeUndefined();
    expect(bad.json.hypotheses[0].category).toBe("disk-saturation");
    expect(bad.json.notes.at(-1)).toBe(
      "LLM narrative not shown: the model names memory-oom as the cause, the rules disk-saturation",
    );
  });

  it("is off without a model, and a bad setting is a usage error", async () => {
    const off = await runCli(["diagnose", "x", "disk", "--from", BUNDLE], {
      env: { ...env, DIAGBOT_LLM_MODEL: "" },
    });
    expect(off.code).toBe(0);
    expect(off.stdout).not.toContain("Narrative");
    expect(s.requests).toHaveLength(0);
    const bad = await runCli(["diagnose", "x", "disk", "--from", BUNDLE], {
      env: { ...env, DIAGBOT_LLM_TIMEOUT: "soon" },
    });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain(
      'DIAGBOT_LLM_TIMEOUT="soon" is not a whole number from 100 to 600000',
    );
  });
});

describe("narrativeConfig", () => {
  it("reads the key from OPENAI_API_KEY_FILE, and is off without key or model", () => {
    const dir = mkdtempSync(join(tmpdir(), "diagbot-llm-"));
    try {
      const file = join(dir, "key");
      writeFileSync(file, "sk-from-file\n");
      expect(narrativeConfig({ OPENAI_API_KEY_FILE: file, DIAGBOT_LLM_MODEL: "m" })).toMatchObject({
        apiKey: "sk-from-file",
        model: "m",
        timeoutMs: 30_000,
        maxTokens: 600,
      });
      expect(narrativeConfig({ OPENAI_API_KEY: "k" })).toBeUndefined();
      expect(narrativeConfig({ DIAGBOT_LLM_MODEL: "m" })).toBeUndefined();
      expect(() =>
        narrativeConfig({ OPENAI_API_KEY_FILE: join(dir, "none"), DIAGBOT_LLM_MODEL: "m" }),
      ).toThrow(/OPENAI_API_KEY_FILE=.*none: no such file/);
      expect(
        narrativeConfig({
          OPENAI_API_KEY: "k",
          DIAGBOT_LLM_MODEL: "m",
          DIAGBOT_LLM_MAX_TOKENS: "200",
        })?.maxTokens,
      ).toBe(200);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
