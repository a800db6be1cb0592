import { join } from "node:path";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { Report } from "../../src/model/report.js";
import { createLogger } from "../../src/observability/log.js";
import type { Engine } from "../../src/queue/engine.js";
import { type StandIn, startStandIn } from "../helpers/openai-stand-in.js";
import { postSigned, slashCommand } from "../helpers/slack-api.js";
import { type Harness, startHarness, until } from "../helpers/slack-harness.js";
import { EXAMPLES, exampleReport, groundedAnswer, standInConfig } from "../narrative/fixtures.js";

/**
 * The LLM narrative in Slack: the Slack app and an in-process worker against the Slack stand-in,
 * the OpenAI stand-in and a real Redis. The engine gives the report the real engine builds from
 * a replayed disk-saturation bundle.
 */

let report: Report;
let s: StandIn;
let h: Harness;
const lines: Record<string, unknown>[] = [];

const engine: Engine = async (request, { onProgress }) => {
  onProgress(1, 1, "iostat");
  return { report: { ...report, host: request.host }, outputs: [] };
};

beforeAll(async () => {
  report = await exampleReport(join(EXAMPLES, "fault-disk-saturation"), "disk");
  s = await startStandIn();
  const log = createLogger("test", { DIAGBOT_LOG_LEVEL: "info" }, {
    write: (line: string) => lines.push(JSON.parse(line)),
  } as never);
  h = await startHarness({
    mode: "http",
    engine,
    log,
    narrative: standInConfig(s, { timeoutMs: 1000 }),
  });
});
afterAll(async () => {
  await h?.stop();
  await s?.close();
});
beforeEach(() => {
  s.requests.length = 0;
});

/** Runs `/diagnose test-host disk` in `channel`; resolves to the thread answer's post. */
async function diagnose(channel: string) {
  const r = await postSigned(
    h.eventsUrl,
    h.fake.signingSecret,
    slashCommand({
      text: "test-host disk --window 1s",
      channel,
      responseUrl: h.fake.responseUrl(),
    }),
  );
  expect(r.status).toBe(200);
  const answers = () =>
    h.fake
      .callsOf("chat.postMessage")
      .filter((c) => c.args.channel === channel && c.args.thread_ts && c.args.blocks);
  await until(() => answers().length > 0, 20_000, "thread answer");
  return answers()[0]!;
}

/** `chat.update` calls of the answer message (not the root message's edits). */
const answerEdits = (channel: string, ts: string) =>
  h.fake.callsOf("chat.update").filter((c) => c.args.channel === channel && c.args.ts === ts);

const blocksText = (blocks: unknown) => JSON.stringify(blocks);

describe("the narrative in Slack", () => {
  it("the answer comes first; the narrative is edited into it, marked as a model's, cites tagged", async () => {
    const answer = groundedAnswer(report);
    s.script({ content: answer, delayMs: 700 });
    const posted = await diagnose("C-NARR");
    const ts = posted.response.ts as string;
    // The deterministic answer is out while the model is still writing.
    expect(blocksText(posted.args.blocks)).not.toContain("Written by a model");
    expect(answerEdits("C-NARR", ts)).toHaveLength(0);
    await until(() => answerEdits("C-NARR", ts).length > 0, 10_000, "narrative edit");
    const edit = answerEdits("C-NARR", ts)[0]!;
    expect(edit.at - posted.at).toBeGreaterThanOrEqual(500);

    const blocks = edit.args.blocks as { type: string; text?: { text: string } }[];
    expect(blocks[0]?.type).toBe("header");
    expect(blocks[1]?.text?.text).toMatch(
      /^:robot_face: \*Written by a model\* \(`stand-in-model`\), checked against the evidence below; the verdict is the rules'\.\n>/,
    );
    const cite = answer.cites[0] as string;
    expect(blocksText(blocks[2])).toContain(`Cites: \`${cite}\` iostat: `);
    // The evidence line the cite names carries the same id; the verdict is unchanged.
    const top = blocks.find((b) => b.text?.text.startsWith(":mag:"))?.text?.text ?? "";
    expect(top).toContain(`\`${cite}\``);
    expect(top).toContain("`disk-saturation` · confidence");
    expect(edit.args.text).toBe(posted.args.text);
    // Apart from the narrative's blocks and the ids, the edit is the answer as posted.
    const untagged = (b: unknown) =>
      blocksText(b).replace(/ · `disk-saturation#\d+`( `disk-saturation#\d+`)*/g, "");
    expect(untagged([blocks[0], ...blocks.slice(3)])).toBe(untagged(posted.args.blocks));

    // The request carried the redacted structured report, and the stored result has the narrative.
    expect(s.requests).toHaveLength(1);
    const id = /`(dg_[a-z0-9]+)`/.exec(blocksText(posted.args.blocks))?.[1] as string;
    const stored = await h.producer.store.loadResult(id);
    expect(stored?.report.narrative).toEqual({
      ...answer,
      model: "stand-in-model",
      topCategory: undefined,
    });
    expect(stored?.report.llm?.tokens.total).toBeGreaterThan(0);
    expect(stored?.report.hypotheses[0]?.category).toBe("disk-saturation");
  });

  it.each([
    ["a timeout", "slow", /did not answer within 1000 ms/],
    ["another cause", "other-cause", /names memory-oom as the cause/],
    ["a 500, twice", "500", /answered HTTP 500 \(after one retry\)/],
    ["malformed JSON", "malformed", /not JSON/],
  ] as const)("%s leaves the answer untouched and logs why", async (_what, reply, why) => {
    const channel = `C-FAIL-${reply}`;
    const grounded = groundedAnswer(report);
    s.script(
      reply === "slow"
        ? { content: grounded, delayMs: 3000 }
        : reply === "other-cause"
          ? { content: { ...grounded, topCategory: "memory-oom" } }
          : reply === "500"
            ? { status: 500 }
            : { content: "{not json" },
    );
    const posted = await diagnose(channel);
    const ts = posted.response.ts as string;
    const id = /`(dg_[a-z0-9]+)`/.exec(blocksText(posted.args.blocks))?.[1] as string;
    await until(
      () =>
        lines.some(
          (l) => l.diagnosisId === id && l.msg === "no narrative: the answer stays as posted",
        ),
      10_000,
      "the warning",
    );
    const warning = lines.find(
      (l) => l.diagnosisId === id && l.msg?.toString().startsWith("no narrative"),
    );
    expect(warning?.level).toBe(40);
    expect(String(warning?.note)).toMatch(why);
    expect(answerEdits(channel, ts)).toHaveLength(0);
    const stored = await h.producer.store.loadResult(id);
    expect(stored?.report.narrative).toBeUndefined();
    expect(stored?.report.notes.at(-1)).toMatch(why);
    expect(stored?.report.hypotheses[0]?.category).toBe("disk-saturation");
  });
});
