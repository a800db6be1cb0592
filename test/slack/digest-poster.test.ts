import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { slackConfig, webClient } from "../../src/slack/config.js";
import { slackDigestPoster } from "../../src/slack/digest.js";
import { type FakeSlack, startFakeSlack } from "../helpers/slack-api.js";

/** The digest poster against the local Slack stand-in: message first, the file in its thread. */
describe("slackDigestPoster", () => {
  let slack: FakeSlack;
  beforeAll(async () => {
    slack = await startFakeSlack();
  });
  afterAll(async () => {
    await slack?.close();
  });

  it("posts the blocks, then uploads the whole digest into the message's thread", async () => {
    const post = slackDigestPoster(
      webClient(
        slackConfig({ SLACK_BOT_TOKEN: slack.botToken, SLACK_API_URL: slack.apiUrl }, "web"),
      ),
    );
    const blocks = [{ type: "section", text: { type: "mrkdwn", text: "hello" } }];
    const { ts } = await post({
      channel: "C0D",
      text: "Sweep s: 1 new",
      blocks,
      file: { filename: "sweep-s.txt", content: "New:\n  h/r/host  t\n" },
    });
    const [message] = slack.callsOf("chat.postMessage");
    expect(message.args).toMatchObject({ channel: "C0D", text: "Sweep s: 1 new", blocks });
    expect(message.response.ts).toBe(ts);
    const [complete] = slack.callsOf("files.completeUploadExternal");
    expect(complete.args).toMatchObject({ channel_id: "C0D", thread_ts: ts });
    expect([...slack.uploads.values()].map((b) => b.toString("utf8"))).toEqual([
      "New:\n  h/r/host  t\n",
    ]);
  });

  it("without a file, only the message", async () => {
    const before = slack.callsOf("files.completeUploadExternal").length;
    const post = slackDigestPoster(
      webClient(
        slackConfig({ SLACK_BOT_TOKEN: slack.botToken, SLACK_API_URL: slack.apiUrl }, "web"),
      ),
    );
    await post({ channel: "C0D", text: "Sweep s: no change", blocks: [] });
    expect(slack.callsOf("files.completeUploadExternal")).toHaveLength(before);
  });
});
