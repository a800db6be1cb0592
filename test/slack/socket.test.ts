import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Engine } from "../../src/queue/engine.js";
import { fakeReport } from "../helpers/reports.js";
import { type Harness, startHarness, until } from "../helpers/slack-harness.js";

/** `diagbot serve` in Socket Mode against a local WebSocket server returned by apps.connections.open. */
const engine: Engine = async (request, { onProgress }) => {
  onProgress({ phase: "collecting", done: 1, total: 2, running: ["df"] });
  await new Promise((r) => setTimeout(r, 100));
  onProgress({ phase: "collecting", done: 2, total: 2, running: [] });
  return { report: fakeReport({ host: request.host, category: "filesystem-full" }), outputs: [] };
};

describe("serve in Socket Mode", () => {
  let h: Harness;
  const command = (text: string, channel = "C1") => ({
    command: "/diagnose",
    text,
    user_id: "U1",
    user_name: "oncall",
    channel_id: channel,
    channel_name: "incidents",
    team_id: "T1",
    team_domain: "test",
    api_app_id: "A1",
    response_url: h.fake.responseUrl(),
    trigger_id: "1.2.3",
    token: "unused",
  });

  beforeAll(async () => {
    h = await startHarness({ mode: "socket", engine });
    await until(() => h.fake.sockets().length === 1, 10_000, "Socket Mode connection");
  });

  afterAll(async () => {
    await h?.stop();
  });

  it("opened the connection with the app token through apps.connections.open", () => {
    const open = h.fake.callsOf("apps.connections.open");
    expect(open.length).toBeGreaterThan(0);
    expect(open[0].token).toBe(h.fake.appToken);
  });

  it("acknowledges /diagnose help with the usage in the envelope's payload", async () => {
    const t0 = Date.now();
    const ack = await h.fake.sendEnvelope("slash_commands", command("help"));
    expect(Date.now() - t0).toBeLessThan(3000);
    expect(ack.payload.response_type).toBe("ephemeral");
    expect(ack.payload.text).toContain("/diagnose <host> [symptom]");
  });

  it("acknowledges a diagnosis, then answers in the thread", async () => {
    const ack = await h.fake.sendEnvelope(
      "slash_commands",
      command("test-host health --window 1s", "C2"),
    );
    expect(ack.envelope_id).toBeTruthy();
    expect(ack.payload?.text).toBeUndefined();
    await until(
      () =>
        h.fake.callsOf("chat.postMessage").some((c) => c.args.channel === "C2" && c.args.thread_ts),
      20_000,
      "thread answer",
    );
    const posts = h.fake.callsOf("chat.postMessage").filter((c) => c.args.channel === "C2");
    expect(posts[0].args.text).toMatch(/diagnosing test-host \(health\)/);
    expect(posts[1].args.text).toMatch(/filesystem-full/);
    expect(posts.every((p) => p.token === h.fake.botToken)).toBe(true);
  });
});
