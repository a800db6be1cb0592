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

let engineRuns = 0;
const engine: Engine = async (request, { onProgress }) => {
  engineRuns++;
  onProgress({ phase: "collecting", done: 1, total: 1, running: [] });
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
    env: { DIAGBOT_FOLLOWUP_RATE: "3" },
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
    expect(top).toContain(`\n• \`${cite}\` `);
    expect(top).toContain("`disk-saturation` · confidence");
    expect(edit.args.text).toBe(posted.args.text);
    // Apart from the narrative's blocks and the ids, the edit is the answer as posted.
    const untagged = (b: unknown) => blocksText(b).replace(/(`disk-saturation#\d+` )+/g, "");
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

  it("follows an answer that went through response_url as a message of its own", async () => {
    h.fake.inject("chat.postMessage", {
      error: "not_in_channel",
      when: (a) => a.channel === "C-OUT",
      times: 10,
    });
    s.script({ content: groundedAnswer(report) });
    const responseUrl = h.fake.responseUrl();
    const r = await postSigned(
      h.eventsUrl,
      h.fake.signingSecret,
      slashCommand({ text: "test-host disk --window 1s", channel: "C-OUT", responseUrl }),
    );
    expect(r.status).toBe(200);
    const id = responseUrl.split("/").pop();
    const mine = () => h.fake.responses.filter((x) => x.id === id);
    await until(() => mine().length >= 3, 20_000, "answer and narrative via response_url");
    const [, answer, narrative] = mine();
    expect(blocksText(answer?.body.blocks)).toContain("disk-saturation");
    expect(blocksText(answer?.body.blocks)).not.toContain("Written by a model");
    expect(narrative?.body.response_type).toBe("in_channel");
    expect(narrative?.body.replace_original).toBe(false);
    expect(blocksText(narrative?.body.blocks)).toContain("*Written by a model* (`stand-in-model`)");
    expect(blocksText(narrative?.body.blocks)).toContain("Cites: `disk-saturation#1`");
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

/** Sends an `app_mention` event from `user` in the thread `threadTs` of `channel`. */
async function mention(channel: string, threadTs: string | undefined, user: string, text: string) {
  const event = {
    token: "x",
    team_id: "T1",
    api_app_id: "A1",
    type: "event_callback",
    event_id: `Ev${Math.random().toString(36).slice(2)}`,
    event_time: Math.floor(Date.now() / 1000),
    event: {
      type: "app_mention",
      user,
      text: `<@UBOT> ${text}`,
      ts: `17000${Date.now()}.000100`,
      channel,
      ...(threadTs ? { thread_ts: threadTs } : {}),
      event_ts: "1700000000.1",
    },
  };
  const r = await postSigned(h.eventsUrl, h.fake.signingSecret, JSON.stringify(event), {
    contentType: "application/json",
  });
  expect(r.status).toBe(200);
}

/** The bot's thread replies in `channel` other than the diagnosis answer. */
const followUpReplies = (channel: string) =>
  h.fake
    .callsOf("chat.postMessage")
    .filter(
      (c) =>
        c.args.channel === channel &&
        c.args.thread_ts &&
        !JSON.stringify(c.args.blocks ?? []).includes('"type":"header"'),
    );

const ephemerals = (channel: string, user: string) =>
  h.fake
    .callsOf("chat.postEphemeral")
    .filter((c) => c.args.channel === channel && c.args.user === user);

/** The user message (the JSON document) of the last request to the model. */
const lastDocument = () => JSON.parse(s.requests.at(-1)?.body.messages[1]?.content ?? "{}");

describe("follow-up questions in the thread", () => {
  it("are answered from the stored report, marked as a model's, with the thread's turns kept in Redis", async () => {
    s.script({ content: groundedAnswer(report) });
    const posted = await diagnose("C-FU");
    const threadTs = posted.args.thread_ts as string;
    const id = /`(dg_[a-z0-9]+)`/.exec(blocksText(posted.args.blocks))?.[1] as string;
    await until(() => answerEdits("C-FU", posted.response.ts).length > 0, 10_000, "narrative");
    const runs = engineRuns;

    s.requests.length = 0;
    s.script({
      content: {
        ...groundedAnswer(report),
        text: "disk-saturation: the CPU rules were checked and fine, while loop0 was 100 % busy.",
        needs: "nothing",
      },
    });
    await mention("C-FU", threadTs, "U-FU", "why the disk and not the CPU?");
    await until(() => followUpReplies("C-FU").length > 0, 10_000, "follow-up answer");
    const kept = async (n: number) =>
      (await h.producer.store.followUps(id, "C-FU", threadTs)).length === n;
    await until(() => kept(1), 5000, "the first turn kept");
    const reply = followUpReplies("C-FU")[0]!;
    expect(reply.args.thread_ts).toBe(threadTs);
    expect(blocksText(reply.args.blocks)).toContain(
      `*Written by a model* (\`stand-in-model\`), checked against the evidence of \`${id}\`; nothing was run`,
    );
    expect(blocksText(reply.args.blocks)).toContain("Cites: `disk-saturation#1`");
    expect(s.requests).toHaveLength(1);
    expect(s.requests[0]?.body.response_format?.json_schema?.name).toBe("diagbot_follow_up");
    expect(lastDocument().question).toBe("why the disk and not the CPU?");
    expect(lastDocument().previous).toBeUndefined();

    // A second question carries the first turn; the turns live in Redis with the result's TTL.
    s.script({
      content: { ...groundedAnswer(report), text: "loop0 was 100 % busy.", needs: "nothing" },
    });
    await mention("C-FU", threadTs, "U-FU", "and the await?");
    await until(() => followUpReplies("C-FU").length > 1, 10_000, "second answer");
    await until(() => kept(2), 5000, "the second turn kept");
    expect(lastDocument().previous).toEqual([
      {
        question: "why the disk and not the CPU?",
        answer: "disk-saturation: the CPU rules were checked and fine, while loop0 was 100 % busy.",
      },
    ]);
    const turns = await h.producer.store.followUps(id, "C-FU", threadTs);
    expect(turns.map((t) => [t.user, t.question])).toEqual([
      ["U-FU", "why the disk and not the CPU?"],
      ["U-FU", "and the await?"],
    ]);
    const key = `${h.prefix}:followups:${id}:C-FU:${threadTs}`;
    const ttl = await h.producer.redis.ttl(key);
    expect(ttl).toBeGreaterThan(0);
    expect(ttl).toBeLessThanOrEqual(h.producer.config.resultTtlSeconds);
    expect(engineRuns).toBe(runs);

    // A question that needs new data gets the button, and nothing runs.
    s.script({
      content: {
        ...groundedAnswer(report),
        text: "Only a new sample can tell whether loop0 is still saturated.",
        needs: "rerun",
      },
    });
    await mention("C-FU", threadTs, "U-FU", "is it still happening?");
    await until(() => followUpReplies("C-FU").length > 2, 10_000, "third answer");
    const third = followUpReplies("C-FU")[2]!;
    const actions = (third.args.blocks as { type: string; elements?: unknown[] }[]).find(
      (b) => b.type === "actions",
    );
    expect(actions?.elements).toEqual([
      expect.objectContaining({ action_id: "diagbot_rerun", value: id }),
    ]);
    expect(third.args.text).toMatch(/^This needs new data: press Re-run/);
    await new Promise((r) => setTimeout(r, 300));
    expect(engineRuns).toBe(runs);

    // DIAGBOT_FOLLOWUP_RATE=3: the fourth question of the same person within the window is refused.
    const asked = s.requests.length;
    await mention("C-FU", threadTs, "U-FU", "one more?");
    await until(() => ephemerals("C-FU", "U-FU").length > 0, 10_000, "rate-limit message");
    expect(ephemerals("C-FU", "U-FU")[0]?.args.text).toMatch(
      /rate limit: one person may ask for 3 follow-up questions per 60 s \(DIAGBOT_FOLLOWUP_RATE\)\. Try again in \d+ s\./,
    );
    expect(s.requests).toHaveLength(asked);
  });

  it("redact the question before it is sent or kept, and a bad answer gives the summary and why", async () => {
    s.script({ content: groundedAnswer(report) });
    const posted = await diagnose("C-FU2");
    const threadTs = posted.args.thread_ts as string;
    const id = /`(dg_[a-z0-9]+)`/.exec(blocksText(posted.args.blocks))?.[1] as string;
    await until(() => answerEdits("C-FU2", posted.response.ts).length > 0, 10_000, "narrative");
    const secret = "ghp_Zx9Qw8Er7Ty6Ui5Op4As3Df2Gh1Jk0Lz9Xc8";
    s.requests.length = 0;
    s.script({
      content: { ...groundedAnswer(report), text: "The CPU was only 12 % busy.", needs: "nothing" },
    });
    await mention("C-FU2", threadTs, "U-FU2", `does ${secret} matter? was the CPU 12 % busy?`);
    await until(() => followUpReplies("C-FU2").length > 0, 10_000, "answer");
    await until(
      async () => (await h.producer.store.followUps(id, "C-FU2", threadTs)).length === 1,
      5000,
      "the turn kept",
    );
    const reply = followUpReplies("C-FU2")[0]!;
    expect(JSON.stringify(s.requests)).not.toContain(secret);
    expect(lastDocument().question).toContain("[REDACTED]");
    // 12 % is only in the question: the question lends the model no number.
    expect(reply.args.text).toMatch(
      /^No checked answer: the model's text shows 12 %, in no evidence\. The rules found: /,
    );
    expect(blocksText(reply.args.blocks)).not.toContain("Written by a model");
    const turns = await h.producer.store.followUps(id, "C-FU2", threadTs);
    expect(JSON.stringify(turns)).not.toContain(secret);
    expect(turns[0]?.question).toContain("[REDACTED]");
  });

  it("a mention in a thread with no diagnosis gets a private hint, and the model is not asked", async () => {
    s.requests.length = 0;
    await mention("C-NONE", "1700000000.999999", "U-NONE", "why?");
    await until(() => ephemerals("C-NONE", "U-NONE").length > 0, 10_000, "hint");
    expect(ephemerals("C-NONE", "U-NONE")[0]?.args.text).toMatch(
      /this thread holds no diagnosis, or it has expired\. Run `\/diagnose` again\./,
    );
    expect(ephemerals("C-NONE", "U-NONE")[0]?.args.thread_ts).toBe("1700000000.999999");
    expect(s.requests).toHaveLength(0);
  });
});
