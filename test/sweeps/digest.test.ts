import { describe, expect, it } from "vitest";
import { ACTIONS, LIMITS } from "../../src/render/blocks.js";
import { type Digest, type DigestFinding, emptyDigest } from "../../src/sweeps/changes.js";
import { keyDigest, MAX_HOST_LINES, renderDigest } from "../../src/sweeps/digest.js";

/** The digest message: exact for a small change, within Slack's limits for a large one. */
const finding = (host: string, n = 0): DigestFinding => ({
  key: `${host}/filesystem-full/%2Fvar${n}`,
  host,
  rule: "filesystem-full",
  category: "filesystem-full",
  confidence: 0.8,
  title: `/var${n} is 100 % full <!channel>`,
  since: "2026-01-01T00:00:00.000Z",
});
const digest = (over: Partial<Digest>): Digest => ({
  ...emptyDigest("web-health", "2026-01-01T00:15:00.000Z", 3),
  changed: true,
  ...over,
});
const options = { channel: "C0123ABCD", symptom: "health" as const, heartbeat: false };

describe("renderDigest", () => {
  it("renders one new finding, one resolved and one unreachable host exactly", () => {
    const f = finding("db-01");
    const message = renderDigest(
      digest({
        new: [f],
        resolved: [{ ...finding("web-01"), title: "/srv is 100 % full" }],
        unreachable: [{ host: "cache-01", error: "connection refused", since: "x", new: true }],
        stillPresent: 2,
      }),
      options,
    );
    const value = (code: string) => `web-health|${keyDigest(f.key)}|${code}`;
    expect(message).toEqual({
      channel: "C0123ABCD",
      text: "Sweep web-health: 1 new, 1 resolved, 1 unreachable",
      blocks: [
        {
          type: "header",
          text: { type: "plain_text", text: "Sweep web-health: 1 new, 1 resolved, 1 unreachable" },
        },
        {
          type: "context",
          elements: [
            {
              type: "mrkdwn",
              text: "3 hosts · 2 still present · 1 unreachable · run of 2026-01-01T00:15:00.000Z",
            },
          ],
        },
        {
          type: "section",
          text: {
            type: "mrkdwn",
            text: ":new: *db-01*\n• /var0 is 100 % full &lt;!channel&gt; (`filesystem-full`, 80 %)",
          },
          accessory: {
            type: "button",
            text: { type: "plain_text", text: "Diagnose" },
            action_id: ACTIONS.sweepDiagnose,
            value: '{"host":"db-01","symptom":"health"}',
          },
        },
        {
          type: "actions",
          elements: [
            {
              type: "static_select",
              action_id: `${ACTIONS.sweepMute}_0`,
              placeholder: { type: "plain_text", text: "Mute filesystem-full (/var0)…" },
              options: [
                { text: { type: "plain_text", text: "1 hour" }, value: value("1h") },
                { text: { type: "plain_text", text: "1 day" }, value: value("1d") },
                { text: { type: "plain_text", text: "7 days" }, value: value("7d") },
                { text: { type: "plain_text", text: "30 days" }, value: value("30d") },
              ],
            },
          ],
        },
        {
          type: "section",
          text: {
            type: "mrkdwn",
            text: ":white_check_mark: *Resolved*\n• *web-01*: /srv is 100 % full (`filesystem-full`, 80 %)",
          },
        },
        {
          type: "section",
          text: {
            type: "mrkdwn",
            text: ":electric_plug: *Not answering*\n• *cache-01*: connection refused",
          },
        },
      ],
    });
  });

  it("posts nothing when nothing changed, unless the heartbeat asks", () => {
    const quiet = digest({ changed: false, stillPresent: 4 });
    expect(renderDigest(quiet, options)).toBeUndefined();
    const beat = renderDigest(quiet, { ...options, heartbeat: true });
    expect(beat?.text).toBe("Sweep web-health: no change");
    expect(beat?.blocks).toHaveLength(2);
    expect(beat?.file).toBeUndefined();
  });

  it("a large change stays within Slack's limits; the rest is in the attached file", () => {
    const many = Array.from({ length: 60 }, (_, i) =>
      Array.from({ length: 8 }, (_, n) => ({
        ...finding(`host-${String(i).padStart(2, "0")}`, n),
        title: "x".repeat(400),
      })),
    ).flat();
    const message = renderDigest(
      digest({
        hosts: 300,
        new: many,
        resolved: many.map((f) => ({ ...f, key: `${f.key}-old` })),
        unreachable: Array.from({ length: 100 }, (_, i) => ({
          host: `down-${i}`,
          error: "e".repeat(200),
          since: "x",
          new: true,
        })),
      }),
      options,
    );
    expect(message).toBeDefined();
    const blocks = message!.blocks;
    expect(blocks.length).toBeLessThanOrEqual(LIMITS.blocks);
    for (const b of blocks) {
      const text = (b.text as { text?: string } | undefined)?.text ?? "";
      expect(text.length).toBeLessThanOrEqual(LIMITS.sectionText);
      for (const e of (b.elements as { type: string; options?: { value: string }[] }[]) ?? [])
        for (const o of e.options ?? []) expect(o.value.length).toBeLessThanOrEqual(150);
    }
    const diagnoseButtons = blocks.filter(
      (b) =>
        (b.accessory as { action_id?: string } | undefined)?.action_id === ACTIONS.sweepDiagnose,
    );
    expect(diagnoseButtons).toHaveLength(MAX_HOST_LINES);
    expect(message!.file?.filename).toBe("sweep-web-health-2026-01-01T00-15-00-000Z.txt");
    const file = message!.file!.content;
    for (const f of many) expect(file).toContain(f.key);
    expect(file).toContain("down-99");
    expect(JSON.stringify(blocks)).toContain("45 more hosts with new findings");
  });
});
