import { existsSync } from "node:fs";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PASTED_HOST } from "../../src/model/request.js";
import { liveEngine } from "../../src/queue/engine.js";
import {
  PASTE_FILE_BLOCK,
  PASTE_MODAL,
  PASTE_SHORTCUT,
  PASTE_TEXT_BLOCK,
} from "../../src/slack/listeners/paste.js";
import { unslack } from "../../src/slack/paste.js";
import {
  buttonPayload,
  type Json,
  messageShortcut,
  postSigned,
  type SharedFile,
  slashCommand,
  viewSubmission,
} from "../helpers/slack-api.js";
import { type Harness, startHarness, until } from "../helpers/slack-harness.js";

/**
 * Evidence pasted in Slack, from the outside: the Slack app (HTTP mode) and an in-process worker
 * with the real engine and the packaged runbooks, against the local Slack stand-in and real
 * Redis. *Diagnose this output* on a message and `/diagnose paste`'s modal; files are fetched
 * from the stand-in's `url_private` with the bot token.
 */

/** `df -h` on a host whose root file system is full, as pasted in Slack (fenced, escaped). */
const dfTranscript = (host: string, mount: string) =>
  [
    `[root@${host} ~]# df -h`,
    "Filesystem      Size  Used Avail Use% Mounted on",
    `/dev/sda1        50G   50G     0 100% ${mount}`,
    "tmpfs           7.8G     0  7.8G   0% /dev/shm",
  ].join("\n");

const payload = (p: unknown) => new URLSearchParams({ payload: JSON.stringify(p) }).toString();

describe("pasted evidence in Slack", () => {
  let h: Harness;
  const marker = join(tmpdir(), `diagbot-paste-ran-${process.pid}`);

  const post = (body: string) => postSigned(h.eventsUrl, h.fake.signingSecret, body);
  const shortcut = (fields: {
    text: string;
    files?: SharedFile[];
    user?: string;
    channel: string;
    messageTs: string;
  }) => {
    const responseUrl = h.fake.responseUrl();
    return {
      responseUrl,
      sent: post(payload(messageShortcut({ callbackId: PASTE_SHORTCUT, ...fields, responseUrl }))),
    };
  };
  /** The answers (many blocks) posted in a thread of `channel`. */
  const answers = (channel: string, threadTs?: string) =>
    h.fake
      .callsOf("chat.postMessage")
      .filter(
        (c) =>
          c.args.channel === channel &&
          c.args.thread_ts &&
          (threadTs === undefined || c.args.thread_ts === threadTs) &&
          Array.isArray(c.args.blocks) &&
          c.args.blocks.length > 1,
      );
  const responsesTo = (url: string) =>
    h.fake.responses.filter((r) => url.endsWith(`/response/${r.id}`)).map((r) => r.body.text);
  const submit = (channel: string, values: { text?: string; files?: SharedFile[] }, user = "U1") =>
    post(
      payload(
        viewSubmission({
          callbackId: PASTE_MODAL,
          privateMetadata: JSON.stringify({ channel }),
          user,
          values: {
            [PASTE_FILE_BLOCK]: {
              [PASTE_FILE_BLOCK]: { type: "file_input", files: values.files ?? [] },
            },
            [PASTE_TEXT_BLOCK]: {
              [PASTE_TEXT_BLOCK]: { type: "plain_text_input", value: values.text ?? null },
            },
          },
        }),
      ),
    );

  beforeAll(async () => {
    h = await startHarness({
      mode: "http",
      engine: liveEngine(),
      rbac: [
        "roles:",
        "  oncall: { hostGroups: [test], costClasses: [cheap, sampling] }",
        "bindings:",
        "  - { role: oncall, users: [U1, U2] }",
      ].join("\n"),
    });
  });

  afterAll(async () => {
    await h?.stop();
  });

  it("Diagnose this output on a pasted df -h answers in the message's thread: filesystem-full, host pasted-evidence, nothing run", async () => {
    // As Slack sends a message's text: a code fence glued to the text, > and & escaped, links.
    const text = [
      "disk full again on <http://db-7.example.com|db-7.example.com>?",
      `\`\`\`${dfTranscript("db-7", "/")}`,
      `[root@db-7 ~]# touch ${marker} &amp;&amp; echo done &gt; ${marker}`,
      "done```",
    ].join("\n");
    const t0 = Date.now();
    const { sent } = shortcut({ text, channel: "C-P1", messageTs: "1700000200.000100" });
    const ack = await sent;
    expect(ack.status).toBe(200);
    expect(Date.now() - t0).toBeLessThan(3000);
    await until(() => answers("C-P1").length > 0, 30_000, "thread answer");
    const answer = answers("C-P1")[0];
    expect(answer.args.thread_ts).toBe("1700000200.000100");
    expect(answer.args.text).toMatch(/^.*pasted-evidence \(health\): .* — filesystem-full/);
    expect(answer.args.text).not.toMatch(/db-7/);
    expect(JSON.stringify(answer.args.blocks)).toContain("`filesystem-full`");
    const root = h.fake
      .callsOf("chat.postMessage")
      .find((c) => c.args.channel === "C-P1" && !Array.isArray(c.args.blocks));
    expect(root?.args.thread_ts).toBe("1700000200.000100");
    expect(root?.args.text).toMatch(/diagnosing pasted-evidence \(health\)/);
    expect(existsSync(marker)).toBe(false);
    const buttons = answer.args.blocks.find((b: Json) => b.type === "actions").elements;
    expect(buttons.map((b: Json) => b.text.text)).not.toContain("Deep dive");

    // Re-run reads the same paste again, admitted as pasted evidence, in the same thread.
    const rerun = buttons.find((b: Json) => b.text.text === "Re-run");
    const pressed = await post(
      payload(
        buttonPayload({
          actionId: rerun.action_id,
          value: rerun.value,
          channel: "C-P1",
          messageTs: answer.response.ts,
          threadTs: "1700000200.000100",
          responseUrl: h.fake.responseUrl(),
        }),
      ),
    );
    expect(pressed.status).toBe(200);
    await until(() => answers("C-P1").length > 1, 30_000, "second answer");
    expect(answers("C-P1")[1].args.thread_ts).toBe("1700000200.000100");
    expect(answers("C-P1")[1].args.text).toMatch(
      /pasted-evidence \(health\): .* — filesystem-full/,
    );
  });

  it("a snippet attached to the message is fetched with the bot token and read", async () => {
    const snippet = h.fake.shareFile("df.txt", Buffer.from(dfTranscript("web-3", "/var")));
    const before = h.fake.fileFetches.length;
    const { sent } = shortcut({
      text: "see the snippet",
      files: [snippet],
      channel: "C-P2",
      messageTs: "1700000300.000100",
    });
    expect((await sent).status).toBe(200);
    await until(() => answers("C-P2").length > 0, 30_000, "thread answer");
    const answer = answers("C-P2")[0];
    expect(answer.args.thread_ts).toBe("1700000300.000100");
    expect(answer.args.text).toMatch(/pasted-evidence \(health\): .*\/var.* — filesystem-full/);
    const fetched = h.fake.fileFetches.slice(before);
    expect(fetched).toEqual([expect.objectContaining({ id: snippet.id, authorised: true })]);
  });

  it("a file given by id only is described by files.info, then fetched", async () => {
    const snippet = h.fake.shareFile("dfh.txt", Buffer.from(dfTranscript("web-4", "/data")));
    const { sent } = shortcut({
      text: "",
      files: [{ id: snippet.id } as SharedFile],
      user: "U2",
      channel: "C-P8",
      messageTs: "1700000900.000100",
    });
    expect((await sent).status).toBe(200);
    await until(() => answers("C-P8").length > 0, 30_000, "thread answer");
    expect(answers("C-P8")[0].args.text).toMatch(/\/data.* — filesystem-full/);
    expect(h.fake.callsOf("files.info").map((c) => c.args.file)).toContain(snippet.id);
  });

  it("the bot token goes to Slack only: a file URL elsewhere is refused unfetched", async () => {
    const elsewhere: string[] = [];
    const server = createServer((req, res) => {
      elsewhere.push(String(req.headers.authorization));
      res.end("$ df -h\n");
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/files-pri/T1-FP1/x.txt`;
    try {
      const file = { ...h.fake.shareFile("x.txt", Buffer.from("x")), url_private: url };
      delete (file as Partial<SharedFile>).url_private_download;
      // And a file of Slack's whose URL redirects there.
      const moved = h.fake.shareFile("moved.txt", Buffer.from("x"), { redirectTo: url });
      for (const [f, ts] of [
        [file, "1700001000.000100"],
        [moved, "1700001000.000200"],
      ] as const) {
        const { responseUrl, sent } = shortcut({
          text: "",
          files: [f],
          user: "U2",
          channel: "C-P9",
          messageTs: ts,
        });
        expect((await sent).status).toBe(200);
        await until(() => responsesTo(responseUrl).length > 0, 5000, "refusal");
        expect(responsesTo(responseUrl)[0]).toContain(`${f.name} is not stored in Slack`);
      }
      expect(h.fake.fileFetches.filter((x) => x.id === moved.id)).toHaveLength(1);
      expect(elsewhere).toEqual([]);
    } finally {
      await new Promise((r) => server.close(r));
    }
  });

  it("/diagnose paste opens the modal; nothing given is a field error; a file given answers in the channel", async () => {
    const ack = await post(
      slashCommand({ text: "paste", channel: "C-P3", responseUrl: h.fake.responseUrl() }),
    );
    expect(ack.status).toBe(200);
    await until(() => h.fake.callsOf("views.open").length > 0, 5000, "views.open");
    const open = h.fake.callsOf("views.open")[0];
    expect(open.args.trigger_id).toBe("1.2.3");
    const view = (
      typeof open.args.view === "string" ? JSON.parse(open.args.view) : open.args.view
    ) as Json;
    expect(view.callback_id).toBe(PASTE_MODAL);
    expect(JSON.parse(view.private_metadata)).toEqual({ channel: "C-P3" });
    const fileInput = view.blocks.find((b: Json) => b.block_id === PASTE_FILE_BLOCK).element;
    expect(fileInput.type).toBe("file_input");
    expect(fileInput.filetypes).toEqual(["text", "log", "txt"]);
    const textInput = view.blocks.find((b: Json) => b.block_id === PASTE_TEXT_BLOCK).element;
    expect(textInput.max_length).toBe(3000);

    const empty = await submit("C-P3", { text: "   " });
    expect(empty.status).toBe(200);
    const errors = JSON.parse(empty.body);
    expect(errors.response_action).toBe("errors");
    expect(errors.errors[PASTE_TEXT_BLOCK]).toMatch(/attach a file or paste/i);

    const file = h.fake.shareFile("disk.log", Buffer.from(dfTranscript("db-9", "/srv")));
    const ok = await submit("C-P3", { files: [file] });
    expect(ok.status).toBe(200);
    expect(ok.body).toBe("");
    await until(() => answers("C-P3").length > 0, 30_000, "channel answer");
    const root = h.fake
      .callsOf("chat.postMessage")
      .find((c) => c.args.channel === "C-P3" && !c.args.thread_ts);
    expect(root?.args.text).toMatch(/diagnosing pasted-evidence/);
    const answer = answers("C-P3")[0];
    expect(answer.args.thread_ts).toBe(root?.response.ts);
    expect(answer.args.text).toMatch(/\/srv.* — filesystem-full/);
  });

  it("a 50 MiB file is refused by its size, never fetched, with the size and the cap said", async () => {
    const big = h.fake.shareFile("huge.log", Buffer.alloc(50 << 20, "x\n"));
    const { responseUrl, sent } = shortcut({
      text: "",
      files: [big],
      channel: "C-P4",
      messageTs: "1700000400.000100",
    });
    expect((await sent).status).toBe(200);
    await until(() => responsesTo(responseUrl).length > 0, 5000, "refusal");
    expect(responsesTo(responseUrl)[0]).toMatch(/huge\.log is 50\.0 MiB: over the 8\.0 MiB/);
    const modal = JSON.parse((await submit("C-P4", { files: [big] })).body);
    expect(modal.errors[PASTE_FILE_BLOCK]).toMatch(/huge\.log is 50\.0 MiB/);
    await new Promise((r) => setTimeout(r, 300));
    expect(h.fake.fileFetches.filter((f) => f.id === big.id)).toHaveLength(0);
    expect(h.fake.calls.filter((c) => c.args.channel === "C-P4")).toHaveLength(0);
  });

  it("a file bigger than it says is cut off at the cap and refused", async () => {
    const liar = { ...h.fake.shareFile("liar.log", Buffer.alloc(9 << 20, "y\n")), size: 1024 };
    const { responseUrl, sent } = shortcut({
      text: "",
      files: [liar],
      channel: "C-P5",
      messageTs: "1700000500.000100",
    });
    expect((await sent).status).toBe(200);
    await until(() => responsesTo(responseUrl).length > 0, 10_000, "refusal");
    expect(responsesTo(responseUrl)[0]).toMatch(/liar\.log takes the paste over the 8\.0 MiB/);
    expect(h.fake.calls.filter((c) => c.args.channel === "C-P5")).toHaveLength(0);
  });

  it("a message with no tool's output gets a failure in its thread that says so", async () => {
    const { sent } = shortcut({
      text: "can someone look at db-7? it is slow since lunch",
      user: "U2",
      channel: "C-P7",
      messageTs: "1700000700.000100",
    });
    expect((await sent).status).toBe(200);
    const failed = () =>
      h.fake
        .callsOf("chat.postMessage")
        .filter((c) => c.args.channel === "C-P7" && /failed/.test(String(c.args.text)));
    await until(() => failed().length > 0, 30_000, "failure in the thread");
    expect(failed()[0].args.thread_ts).toBe("1700000700.000100");
    expect(failed()[0].args.text).toMatch(
      /diagnosing pasted-evidence \(health\) failed: nothing in the message was recognised as a tool's output/,
    );
  });

  it("a job whose paste has expired from the store ends with a message saying so", async () => {
    const request = {
      host: PASTED_HOST,
      symptom: "health" as const,
      windowSeconds: 1,
      deep: false,
      evidence: "0".repeat(64),
    };
    await h.producer.submit(request, "U2", {
      user: "U2",
      channel: "C-P10",
      ts: "1700001100.000100",
      threadTs: "1700001100.000100",
    });
    const failed = () =>
      h.fake
        .callsOf("chat.postMessage")
        .filter((c) => c.args.channel === "C-P10" && /failed/.test(String(c.args.text)));
    await until(() => failed().length > 0, 30_000, "failure in the thread");
    expect(failed()[0].args.text).toMatch(
      /the pasted evidence has expired from the queue's store \(kept 60 minutes\)/,
    );
  });

  it("someone DIAGBOT_RBAC does not let diagnose anything is refused: no modal, no diagnosis", async () => {
    const { responseUrl, sent } = shortcut({
      text: `\`\`\`${dfTranscript("db-7", "/")}\`\`\``,
      user: "U-OUT",
      channel: "C-P6",
      messageTs: "1700000600.000100",
    });
    expect((await sent).status).toBe(200);
    await until(() => responsesTo(responseUrl).length > 0, 5000, "refusal");
    expect(responsesTo(responseUrl)[0]).toMatch(/you may not diagnose anything/);
    const opened = h.fake.callsOf("views.open").length;
    const ack = await post(
      slashCommand({
        text: "paste",
        user: "U-OUT",
        channel: "C-P6",
        responseUrl: h.fake.responseUrl(),
      }),
    );
    expect(JSON.parse(ack.body).text).toMatch(/you may not diagnose anything/);
    const modal = JSON.parse((await submit("C-P6", { text: "$ df -h" }, "U-OUT")).body);
    expect(modal.errors[PASTE_TEXT_BLOCK]).toMatch(/you may not diagnose anything/);
    await new Promise((r) => setTimeout(r, 300));
    expect(h.fake.callsOf("views.open")).toHaveLength(opened);
    expect(h.fake.calls.filter((c) => c.args.channel === "C-P6")).toHaveLength(0);
  });
});

describe("pasted evidence and the rate limits", () => {
  let h: Harness;

  beforeAll(async () => {
    h = await startHarness({ mode: "http", env: { DIAGBOT_USER_RATE: "1" } });
  });

  afterAll(async () => {
    await h?.stop();
  });

  it("counts a paste as a request of /diagnose: the second in the window is refused", async () => {
    const ask = async (ts: string) => {
      const responseUrl = h.fake.responseUrl();
      const body = messageShortcut({
        callbackId: PASTE_SHORTCUT,
        text: `\`\`\`${dfTranscript("db-7", "/")}\`\`\``,
        channel: "C-R1",
        messageTs: ts,
        responseUrl,
      });
      const sent = await postSigned(h.eventsUrl, h.fake.signingSecret, payload(body));
      expect(sent.status).toBe(200);
      return responseUrl;
    };
    await ask("1700000800.000100");
    await until(
      () => h.fake.callsOf("chat.postMessage").some((c) => c.args.channel === "C-R1"),
      5000,
      "root message",
    );
    const second = await ask("1700000800.000200");
    await until(
      () => h.fake.responses.some((r) => second.endsWith(`/response/${r.id}`)),
      5000,
      "refusal",
    );
    const refusal = h.fake.responses.find((r) => second.endsWith(`/response/${r.id}`))?.body.text;
    expect(refusal).toMatch(/rate limit: one person may ask for 1 diagnos/);
    expect(
      h.fake.callsOf("chat.postMessage").filter((c) => c.args.thread_ts === "1700000800.000200"),
    ).toHaveLength(0);
  });
});

describe("unslack: a message's text as it was typed", () => {
  it("takes links, mentions and channel names out of their angle brackets", () => {
    expect(
      unslack(
        "on <http://db-7.example.com|db-7.example.com> see <https://x.io/a?b=1> <@U123> <#C1|incidents> <!here> <!subteam^S1|@oncall>",
      ),
    ).toBe("on db-7.example.com see https://x.io/a?b=1 @U123 #incidents @here @oncall");
  });

  it("decodes the three entities Slack escapes, once", () => {
    expect(unslack("ps &lt;none&gt; &amp;&amp; echo &amp;gt;")).toBe("ps <none> && echo &gt;");
  });

  it("puts code fences glued to text on lines of their own", () => {
    expect(unslack("```$ free -m\nMem: 1 2 3```").split("\n")).toEqual([
      "",
      "```",
      "$ free -m",
      "Mem: 1 2 3",
      "```",
      "",
    ]);
  });
});
