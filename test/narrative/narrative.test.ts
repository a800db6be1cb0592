import { beforeAll, describe, expect, it } from "vitest";
import type { Report } from "../../src/model/report.js";
import { retryAfterMs } from "../../src/narrative/client.js";
import { narrativeConfig, tokensParamFor } from "../../src/narrative/config.js";
import { withNarrative, writeNarrative } from "../../src/narrative/index.js";
import { createMetrics } from "../../src/observability/metrics.js";
import type { StandIn } from "../helpers/openai-stand-in.js";
import { groundedAnswer, standInConfig, standInSuite } from "./fixtures.js";

/**
 * The narrative against a local OpenAI-compatible server: each scripted reply leads to the
 * documented behaviour (README "Narrative"), on a report the real engine built from a replayed
 * example bundle.
 */

const suite = standInSuite("fault-disk-saturation", "disk");
let s: StandIn;
let report: Report;
beforeAll(() => {
  ({ s, report } = suite);
});

describe("a valid answer", () => {
  it("is kept, marked with the model, and the request has the structured-output shape", async () => {
    expect(report.hypotheses[0]?.category).toBe("disk-saturation");
    const answer = groundedAnswer(report);
    s.script({ content: answer });
    const metrics = createMetrics(false);
    const out = await writeNarrative(report, standInConfig(s), metrics);
    expect(out.note).toBeUndefined();
    expect(out.narrative).toEqual({
      text: answer.text,
      model: "stand-in-model",
      cites: answer.cites,
    });
    expect(out.llm.requests).toBe(1);
    expect(out.llm.tokens.total).toBe(out.llm.tokens.prompt + out.llm.tokens.completion);
    expect(out.llm.tokens.prompt).toBeGreaterThan(100);

    const [req] = s.requests;
    expect(req?.authorization).toBe(`Bearer ${s.apiKey}`);
    expect(req?.body.model).toBe("stand-in-model");
    expect(req?.body.max_tokens).toBe(600);
    expect(req?.body.response_format?.type).toBe("json_schema");
    expect(req?.body.response_format?.json_schema?.strict).toBe(true);
    expect(req?.body.response_format?.json_schema?.schema).toMatchObject({
      required: ["topCategory", "text", "cites"],
      additionalProperties: false,
    });
    const [system, user] = req?.body.messages ?? [];
    expect(system?.role).toBe("system");
    expect(system?.content).toMatch(/DATA/);
    const doc = JSON.parse(user?.content ?? "");
    expect(doc.topCategory).toBe("disk-saturation");
    expect(doc.hypotheses[0].evidence[0].id).toBe(report.hypotheses[0]?.evidence[0]?.id);

    const text = await metrics.registry.getSingleMetricAsString("diagbot_llm_tokens_total");
    expect(text).toContain(`diagbot_llm_tokens_total{kind="prompt"} ${out.llm.tokens.prompt}`);
    expect(text).toContain(
      `diagbot_llm_tokens_total{kind="completion"} ${out.llm.tokens.completion}`,
    );
    expect(await metrics.registry.getSingleMetricAsString("diagbot_llm_answers_total")).toContain(
      'diagbot_llm_answers_total{outcome="shown"} 1',
    );

    const merged = withNarrative(report, out);
    expect(merged.narrative?.cites).toEqual(answer.cites);
    expect(merged.llm?.requests).toBe(1);
    expect(merged.hypotheses).toEqual(report.hypotheses);
  });

  it("is accepted from a server that ignores response_format and wraps the JSON in a fence", async () => {
    const answer = groundedAnswer(report);
    s.script({ content: `Here is the answer:\n\`\`\`json\n${JSON.stringify(answer)}\n\`\`\`` });
    const out = await writeNarrative(report, standInConfig(s));
    expect(out.narrative?.text).toBe(answer.text);
  });
});

describe("the completion budget's field", () => {
  it("is max_completion_tokens for reasoning models, max_tokens for others, as the server sees it", async () => {
    const env = { OPENAI_API_KEY: s.apiKey, OPENAI_BASE_URL: s.baseURL };
    const cases = [
      ["o3-mini", {}, "max_completion_tokens"],
      ["gpt-5-mini", {}, "max_completion_tokens"],
      ["openai/o4-mini", {}, "max_completion_tokens"],
      ["gpt-4.1-mini", {}, "max_tokens"],
      ["llama3.1:8b", {}, "max_tokens"],
      [
        "my-azure-deployment",
        { DIAGBOT_LLM_TOKENS_PARAM: "max_completion_tokens" },
        "max_completion_tokens",
      ],
      ["gpt-5", { DIAGBOT_LLM_TOKENS_PARAM: "max_tokens" }, "max_tokens"],
    ] as const;
    for (const [model, extra, field] of cases) {
      s.requests.length = 0;
      s.script({ content: groundedAnswer(report) });
      const config = narrativeConfig({ ...env, ...extra, DIAGBOT_LLM_MODEL: model });
      expect(config?.tokensParam, model).toBe(field);
      await writeNarrative(report, config!);
      const body = s.requests[0]?.body as Record<string, unknown>;
      expect(body[field], model).toBe(600);
      const other = field === "max_tokens" ? "max_completion_tokens" : "max_tokens";
      expect(body, model).not.toHaveProperty(other);
    }
    expect(tokensParamFor("o1")).toBe("max_completion_tokens");
    expect(tokensParamFor("ollama-model")).toBe("max_tokens");
    expect(() =>
      narrativeConfig({ ...env, DIAGBOT_LLM_MODEL: "m", DIAGBOT_LLM_TOKENS_PARAM: "tokens" }),
    ).toThrow(/DIAGBOT_LLM_TOKENS_PARAM="tokens" is not one of max_tokens, max_completion_tokens/);
  });
});

describe("an answer that disagrees with the evidence is discarded with a note", () => {
  const cases: [string, (r: Report) => object, RegExp][] = [
    [
      "citing a wrong id",
      (r) => ({ ...groundedAnswer(r), cites: ["disk-saturation#99"] }),
      /cites disk-saturation#99, not in the evidence/,
    ],
    [
      "naming another cause",
      (r) => ({ ...groundedAnswer(r), topCategory: "memory-oom" }),
      /names memory-oom as the cause, the rules disk-saturation/,
    ],
    [
      "an invented number",
      (r) => ({ ...groundedAnswer(r), text: "The disk was 73.2 % busy and await reached 412 ms." }),
      /shows 73\.2 %, 412 ms, in no evidence/,
    ],
    [
      "naming in its text a category no rule found",
      (r) => ({ ...groundedAnswer(r), text: "This looks like clock-skew." }),
      /names clock-skew, not a hypothesis of the rules/,
    ],
    ["citing nothing", (r) => ({ ...groundedAnswer(r), cites: [] }), /cites no evidence/],
    [
      "a text over the length cap",
      (r) => ({ ...groundedAnswer(r), text: "The disk is busy. ".repeat(80) }),
      /characters long \(at most 1200\)/,
    ],
  ];
  for (const [name, answer, why] of cases) {
    it(name, async () => {
      s.script({ content: answer(report) });
      const metrics = createMetrics(false);
      const out = await writeNarrative(report, standInConfig(s), metrics);
      expect(out.narrative).toBeUndefined();
      expect(out.note).toMatch(/^LLM narrative not shown: /);
      expect(out.note).toMatch(why);
      expect(s.requests).toHaveLength(1);
      const merged = withNarrative(report, out);
      expect(merged.narrative).toBeUndefined();
      expect(merged.summary).toBe(report.summary);
      expect(merged.notes.at(-1)).toBe(out.note);
      expect(await metrics.registry.getSingleMetricAsString("diagbot_llm_answers_total")).toContain(
        'outcome="discarded"} 1',
      );
    });
  }
});

describe("fallbacks: no retry storm", () => {
  it("a slow model: the timeout, no retry", async () => {
    s.script({ content: groundedAnswer(report), delayMs: 3000 });
    const t0 = Date.now();
    const out = await writeNarrative(report, standInConfig(s, { timeoutMs: 400 }));
    expect(Date.now() - t0).toBeLessThan(2500);
    expect(out.note).toBe("LLM narrative not shown: the model did not answer within 400 ms");
    expect(s.requests).toHaveLength(1);
  });

  it("429 with Retry-After, then a valid answer: one retry after the wait", async () => {
    s.script({ status: 429, headers: { "retry-after": "1" } }, { content: groundedAnswer(report) });
    const t0 = Date.now();
    const out = await writeNarrative(report, standInConfig(s));
    expect(Date.now() - t0).toBeGreaterThanOrEqual(950);
    expect(out.narrative?.text).toBe(groundedAnswer(report).text);
    expect(out.llm.requests).toBe(2);
    expect(s.requests).toHaveLength(2);
  });

  it("429 asking for a wait over the cap: gives up at once", async () => {
    s.script(
      { status: 429, headers: { "retry-after": "120" } },
      { content: groundedAnswer(report) },
    );
    const out = await writeNarrative(report, standInConfig(s));
    expect(out.note).toBe(
      "LLM narrative not shown: the model's server rate-limited the request and asked to wait 120 s",
    );
    expect(s.requests).toHaveLength(1);
  });

  it("500 twice: one retry, then the deterministic summary", async () => {
    s.script({ status: 500 }, { status: 500 }, { content: groundedAnswer(report) });
    const out = await writeNarrative(report, standInConfig(s));
    expect(out.note).toBe(
      "LLM narrative not shown: the model's server answered HTTP 500 (after one retry)",
    );
    expect(s.requests).toHaveLength(2);
  });

  it("malformed JSON: no retry", async () => {
    s.script({ content: '{"topCategory": "disk-saturation", "text": "The disk' });
    const out = await writeNarrative(report, standInConfig(s));
    expect(out.note).toBe("LLM narrative not shown: the model's reply is not JSON");
    expect(s.requests).toHaveLength(1);
    expect(out.llm.tokens.total).toBeGreaterThan(0);
  });

  it("a wrong key: 401, no retry", async () => {
    s.script({ content: groundedAnswer(report) });
    const out = await writeNarrative(report, standInConfig(s, { apiKey: "sk-wrong" }));
    expect(out.note).toBe("LLM narrative not shown: the model's server answered HTTP 401");
  });
});

describe("retryAfterMs", () => {
  it("reads retry-after-ms, Retry-After seconds and dates, else 1 s", () => {
    const now = Date.parse("2026-12-07T01:00:00Z");
    expect(retryAfterMs(new Headers({ "retry-after-ms": "250", "retry-after": "9" }), now)).toBe(
      250,
    );
    expect(retryAfterMs(new Headers({ "retry-after": "2" }), now)).toBe(2000);
    expect(retryAfterMs(new Headers({ "retry-after": "Mon, 07 Dec 2026 01:00:03 GMT" }), now)).toBe(
      3000,
    );
    expect(retryAfterMs(new Headers({ "retry-after": "soon" }), now)).toBe(1000);
    expect(retryAfterMs(undefined, now)).toBe(1000);
  });
});
