import { gunzipSync } from "node:zlib";
import { afterEach, describe, expect, it } from "vitest";
import type { CollectedOutput } from "../../src/model/collected.js";
import { DiagbotError } from "../../src/model/errors.js";
import {
  attachEvidence,
  parseTicketKey,
  prepareEvidence,
  type RetryPolicy,
  sendFindingEvent,
  type TicketEvidence,
  verifyEvidenceLink,
} from "../../src/tickets/index.js";
import { fakeReport } from "../helpers/reports.js";
import { adfViolations } from "./adf-check.js";
import { route } from "./stand-in.js";
import { githubStandIn, jiraStandIn, pagerdutyStandIn, webhookReceiver } from "./vendors.js";

const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  while (closers.length) await closers.pop()?.();
});

/** A policy whose sleeps are recorded, not waited. */
function fakePolicy(tries = 3, maxWaitMs = 60_000): RetryPolicy & { slept: number[] } {
  const slept: number[] = [];
  let now = Date.parse("2026-12-07T00:00:00Z");
  return {
    tries,
    maxWaitMs,
    slept,
    clock: {
      now: () => now,
      sleep: async (ms) => {
        slept.push(ms);
        now += ms;
      },
    },
  };
}

const outputs: CollectedOutput[] = [
  {
    id: "iostat",
    status: "ok",
    durationMs: 1000,
    out: Buffer.from("Device r/s w/s %util\nsda 10 900 99.0\n"),
  },
];

async function evidence(): Promise<TicketEvidence> {
  return prepareEvidence(fakeReport({ findings: 3 }), outputs);
}

const basic = (email: string, token: string) =>
  `Basic ${Buffer.from(`${email}:${token}`).toString("base64")}`;

async function cloudJira() {
  const jira = await jiraStandIn({
    flavour: "cloud",
    auth: basic("ops@example.com", "jira-token-1"),
    issue: "OPS-7",
  });
  closers.push(jira.close);
  const env = {
    DIAGBOT_JIRA_URL: jira.url,
    DIAGBOT_JIRA_EMAIL: "ops@example.com",
    DIAGBOT_JIRA_TOKEN: "jira-token-1",
  };
  return { jira, env };
}

describe("ticket keys", () => {
  it("parses DESIGN's forms and names the form on a bad key", () => {
    expect(parseTicketKey("jira:OPS-7")).toEqual({ system: "jira", issue: "OPS-7" });
    expect(parseTicketKey("github:owner/repo.js#12")).toEqual({
      system: "github",
      owner: "owner",
      repo: "repo.js",
      number: 12,
    });
    expect(parseTicketKey("pagerduty:PT4KHLK")).toEqual({
      system: "pagerduty",
      incident: "PT4KHLK",
    });
    expect(parseTicketKey("webhook:db-outage_2")).toEqual({
      system: "webhook",
      label: "db-outage_2",
    });
    expect(() => parseTicketKey("jira:ops-7")).toThrow(/not a jira key/);
    expect(() => parseTicketKey("github:owner/repo")).toThrow(DiagbotError);
    try {
      parseTicketKey("trello:1");
    } catch (err) {
      expect((err as DiagbotError).code).toBe("usage");
      expect((err as DiagbotError).hint).toContain(
        "jira:OPS-7, github:owner/repo#12, pagerduty:PXXXXXX, webhook:ANY-LABEL",
      );
    }
  });
});

describe("Jira Cloud", () => {
  it("uploads the bundle and report as multipart, then one ADF comment; a second attach adds nothing", async () => {
    const { jira, env } = await cloudJira();
    const ev = await evidence();
    const key = parseTicketKey("jira:OPS-7");
    const first = await attachEvidence(key, ev, { env, policy: fakePolicy() });
    expect(first.status).toBe("attached");
    expect(jira.calls.map((c) => `${c.method} ${route(c).path}`)).toEqual([
      "GET /rest/api/3/issue/OPS-7/comment",
      "GET /rest/api/3/issue/OPS-7",
      "POST /rest/api/3/issue/OPS-7/attachments",
      "POST /rest/api/3/issue/OPS-7/attachments",
      "POST /rest/api/3/issue/OPS-7/comment",
    ]);
    for (const c of jira.calls)
      expect(c.headers.authorization).toBe(basic("ops@example.com", "jira-token-1"));
    const uploads = jira.calls.filter((c) => c.url.endsWith("/attachments"));
    for (const u of uploads) {
      expect(u.headers["x-atlassian-token"]).toBe("no-check");
      expect(u.headers["content-type"]).toMatch(/^multipart\/form-data; boundary=/);
    }
    expect(jira.attachments.map((a) => a.filename)).toEqual([
      ev.bundleName,
      ev.bundleName.replace(".tar.gz", ".md"),
    ]);
    const tar = gunzipSync(jira.attachments[0].data).toString("utf8");
    expect(tar).toContain("iostat.out");
    expect(tar).toContain("report.json");
    expect(jira.attachments[1].data.toString("utf8")).toContain("## Most likely: sda is saturated");
    const doc = jira.comments[0].body as never;
    expect(adfViolations(doc)).toEqual([]);
    expect(JSON.stringify(doc)).toContain(`diagbot-bundle: ${ev.sha256}`);

    const again = await attachEvidence(key, await evidence(), { env, policy: fakePolicy() });
    expect(again.status).toBe("already-attached");
    expect(jira.comments).toHaveLength(1);
    expect(jira.calls).toHaveLength(6);
  });

  it("skips a file the issue already holds when the comment failed before", async () => {
    const { jira, env } = await cloudJira();
    const ev = await evidence();
    jira.failNext(
      { status: 200, body: { startAt: 0, maxResults: 100, total: 0, comments: [] } },
      {
        status: 200,
        body: { key: "OPS-7", fields: { attachment: [{ id: "1", filename: ev.bundleName }] } },
      },
    );
    await attachEvidence(parseTicketKey("jira:OPS-7"), ev, { env, policy: fakePolicy() });
    expect(jira.attachments.map((a) => a.filename)).toEqual([
      ev.bundleName.replace(".tar.gz", ".md"),
    ]);
  });

  it("retries 429 and 503 as long as Retry-After asks, then succeeds", async () => {
    const { jira, env } = await cloudJira();
    jira.failNext(
      { status: 429, headers: { "retry-after": "7" }, body: "rate limited" },
      { status: 503, headers: { "retry-after": "2" } },
    );
    const policy = fakePolicy();
    const result = await attachEvidence(parseTicketKey("jira:OPS-7"), await evidence(), {
      env,
      policy,
    });
    expect(result.status).toBe("attached");
    expect(policy.slept).toEqual([7000, 2000]);
    expect(jira.comments).toHaveLength(1);
  });

  it("gives up after the tries, or when the server asks to wait past the cap", async () => {
    const { jira, env } = await cloudJira();
    jira.failAlways({ status: 503, headers: { "retry-after": "1" } });
    const policy = fakePolicy();
    const err = await attachEvidence(parseTicketKey("jira:OPS-7"), await evidence(), {
      env,
      policy,
    }).catch((e) => e);
    expect(err).toBeInstanceOf(DiagbotError);
    expect(err.code).toBe("ticket-failed");
    expect(err.retryable).toBe(true);
    expect(err.message).toMatch(/after 3 tries: HTTP 503/);
    expect(jira.calls).toHaveLength(3);
    jira.failAlways({ status: 429, headers: { "x-ratelimit-reset": "2026-12-07T01:00:00Z" } });
    const capped = await attachEvidence(parseTicketKey("jira:OPS-7"), await evidence(), {
      env,
      policy: fakePolicy(),
    }).catch((e) => e);
    expect(capped.message).toMatch(/after 1 try: HTTP 429; the server asked to wait 3600 s more/);
  });

  it("ends at once on 401 and 404, naming the setting to fix", async () => {
    const { jira, env } = await cloudJira();
    const bad = await attachEvidence(parseTicketKey("jira:OPS-7"), await evidence(), {
      env: { ...env, DIAGBOT_JIRA_TOKEN: "wrong" },
      policy: fakePolicy(),
    }).catch((e) => e);
    expect(bad.code).toBe("ticket-refused");
    expect(bad.retryable).toBe(false);
    expect(bad.message).toMatch(/^DIAGBOT_JIRA_TOKEN was refused \(401\)/);
    const missing = await attachEvidence(parseTicketKey("jira:OPS-8"), await evidence(), {
      env,
      policy: fakePolicy(),
    }).catch((e) => e);
    expect(missing.code).toBe("ticket-refused");
    expect(missing.message).toMatch(/^jira:OPS-8 was not found at DIAGBOT_JIRA_URL \(404/);
    expect(missing.message).toContain("Issue does not exist");
    expect(jira.calls).toHaveLength(2);
  });

  it("names the missing setting before any call", () => {
    expect(() =>
      attachEvidence(parseTicketKey("jira:OPS-7"), {} as TicketEvidence, { env: {} }),
    ).toThrow(/DIAGBOT_JIRA_URL is not set/);
  });
});

describe("Jira's 32,767-character comment limit", () => {
  /** 3000 evidence lines of ~70 characters, one of 50,000: far over the limit either way. */
  async function huge(): Promise<TicketEvidence> {
    const big = fakeReport({ findings: 5, evidencePerFinding: 3000 });
    big.hypotheses[0].evidence = big.hypotheses[0].evidence.map((e, i) => ({
      ...e,
      excerpt: i === 1 ? "z".repeat(50_000) : `line ${i} ${"y".repeat(60)}`,
    }));
    return prepareEvidence(big, outputs);
  }

  it("Cloud: the ADF comment is cut to fit, says so, keeps the top lines and the marker", async () => {
    const { jira, env } = await cloudJira();
    const ev = await huge();
    await attachEvidence(parseTicketKey("jira:OPS-7"), ev, { env, policy: fakePolicy() });
    expect(jira.comments).toHaveLength(1);
    const doc = jira.comments[0].body as never;
    const json = JSON.stringify(doc);
    expect(json.length).toBeLessThanOrEqual(32_767);
    expect(json.length).toBeGreaterThan(25_000);
    expect(adfViolations(doc)).toEqual([]);
    expect(json).toContain("cut to fit Jira's 32,767-character limit");
    expect(json).toContain("line 0 yyy");
    expect(json).toContain("z".repeat(1990));
    expect(json).not.toContain("z".repeat(2001));
    expect(json).toContain(`diagbot-bundle: ${ev.sha256}`);
    // Idempotent still: the marker is found, nothing is added.
    await attachEvidence(parseTicketKey("jira:OPS-7"), ev, { env, policy: fakePolicy() });
    expect(jira.comments).toHaveLength(1);
  });

  it("Data Center: the wiki comment is cut to fit and says so", async () => {
    const jira = await jiraStandIn({ flavour: "datacenter", auth: "Bearer pat-9", issue: "OPS-7" });
    closers.push(jira.close);
    const env = {
      DIAGBOT_JIRA_URL: jira.url,
      DIAGBOT_JIRA_TOKEN: "pat-9",
      DIAGBOT_JIRA_FLAVOUR: "datacenter",
    };
    const ev = await huge();
    await attachEvidence(parseTicketKey("jira:OPS-7"), ev, { env, policy: fakePolicy() });
    const body = jira.comments[0].body as string;
    expect(body.length).toBeLessThanOrEqual(32_767);
    expect(body.length).toBeGreaterThan(25_000);
    expect(body).toContain("cut to fit Jira's 32,767\\-character limit");
    expect((body.match(/\{noformat\}/g) ?? []).length % 2).toBe(0);
    expect(body).toContain(`{{diagbot-bundle: ${ev.sha256}}}`);
  });

  it("a report that fits is not cut", async () => {
    const { jira, env } = await cloudJira();
    await attachEvidence(parseTicketKey("jira:OPS-7"), await evidence(), {
      env,
      policy: fakePolicy(),
    });
    expect(JSON.stringify(jira.comments[0].body)).not.toContain("cut to fit");
  });
});

describe("Jira Data Center", () => {
  it("uses REST v2, a bearer personal access token and a wiki-markup comment", async () => {
    const jira = await jiraStandIn({
      flavour: "datacenter",
      auth: "Bearer pat-123",
      issue: "OPS-7",
    });
    closers.push(jira.close);
    const env = {
      DIAGBOT_JIRA_URL: jira.url,
      DIAGBOT_JIRA_TOKEN: "pat-123",
      DIAGBOT_JIRA_FLAVOUR: "datacenter",
    };
    const ev = await evidence();
    await attachEvidence(parseTicketKey("jira:OPS-7"), ev, { env, policy: fakePolicy() });
    expect(jira.calls.every((c) => c.url.startsWith("/rest/api/2/issue/OPS-7"))).toBe(true);
    const body = jira.comments[0].body as string;
    expect(typeof body).toBe("string");
    expect(body).toContain(
      "h3. Most likely: sda is saturated: I/O requests queue behind each other",
    );
    expect(body).toMatch(/h4\. Evidence\n\n\{noformat\}\niostat: sda: util 99 %/);
    expect(body).toContain("* {{Find the heaviest I/O processes: pidstat \\-d 1 5 or iotop \\-o}}");
    expect(body).toContain(`{{diagbot-bundle: ${ev.sha256}}}`);
  });
});

describe("GitHub", () => {
  async function github(extraEnv: Record<string, string> = {}) {
    const gh = await githubStandIn({ token: "ghp-test", repo: "acme/infra", number: 12 });
    closers.push(gh.close);
    return {
      gh,
      env: { DIAGBOT_GITHUB_URL: gh.url, DIAGBOT_GITHUB_TOKEN: "ghp-test", ...extraEnv },
    };
  }

  it("posts one Markdown comment with the evidence collapsed and, for evidence serve holds, a signed, expiring bundle link", async () => {
    const { gh, env } = await github({
      DIAGBOT_PUBLIC_URL: "https://diagbot.example",
      DIAGBOT_EVIDENCE_SECRET: "s3",
    });
    const ev = { ...(await evidence()), kept: { served: true } as const };
    const key = parseTicketKey("github:acme/infra#12");
    const now = new Date("2026-12-07T00:00:00Z");
    await attachEvidence(key, ev, { env, policy: fakePolicy(), now: () => now });
    expect(gh.calls.map((c) => `${c.method} ${c.url}`)).toEqual([
      "GET /repos/acme/infra/issues/12/comments?per_page=100",
      "POST /repos/acme/infra/issues/12/comments",
    ]);
    const body = gh.comments[0].body;
    expect(body).toMatch(/^\*\*diagbot\*\* on test-host \(latency\): /);
    expect(body).toContain("<details><summary>Evidence</summary>");
    expect(body).toContain(`<!-- diagbot-bundle: ${ev.sha256} -->`);
    const link = new URL(/https:\/\/diagbot\.example\/evidence\/\S+/.exec(body)?.[0] ?? "");
    expect(link.pathname).toBe(`/evidence/${ev.sha256}`);
    const expires = link.searchParams.get("expires") ?? "";
    const sig = link.searchParams.get("sig") ?? "";
    expect(verifyEvidenceLink(ev.sha256, expires, sig, "s3", now)).toBe(true);
    expect(verifyEvidenceLink(ev.sha256, expires, sig, "other", now)).toBe(false);
    expect(
      verifyEvidenceLink(ev.sha256, expires, sig, "s3", new Date(Number(expires) * 1000 + 1)),
    ).toBe(false);

    expect((await attachEvidence(key, ev, { env, policy: fakePolicy() })).status).toBe(
      "already-attached",
    );
    expect(gh.comments).toHaveLength(1);
  });

  it("links nothing for evidence serve does not hold, even with DIAGBOT_PUBLIC_URL, and fits a huge report in 65,536 characters", async () => {
    const { gh, env } = await github({
      DIAGBOT_PUBLIC_URL: "https://diagbot.example",
      DIAGBOT_EVIDENCE_SECRET: "s3",
    });
    const big = fakeReport({ findings: 5, evidencePerFinding: 3000, excerpt: "x".repeat(80) });
    big.hypotheses[0].evidence = big.hypotheses[0].evidence.map((e, i) => ({
      ...e,
      excerpt: `line ${i} ${"y".repeat(60)}`,
    }));
    const ev = await prepareEvidence(big, outputs);
    await attachEvidence(parseTicketKey("github:acme/infra#12"), ev, { env, policy: fakePolicy() });
    const body = gh.comments[0].body;
    expect(body.length).toBeLessThanOrEqual(65_536);
    expect(body.length).toBeGreaterThan(60_000);
    expect(body).toContain("is not linked: it is kept nowhere diagbot serve answers for");
    expect(body).not.toContain("https://diagbot.example");
    expect(body).toContain("cut here to fit the comment");
    expect(body).toContain("</details>");
    expect((body.match(/^```/gm) ?? []).length % 2).toBe(0);
  });

  it("waits for x-ratelimit-reset on GitHub's 403 with x-ratelimit-remaining: 0", async () => {
    const { gh, env } = await github();
    const policy = fakePolicy();
    const reset = policy.clock.now() / 1000 + 30;
    gh.failNext({
      status: 403,
      headers: { "x-ratelimit-remaining": "0", "x-ratelimit-reset": String(reset) },
      body: { message: "API rate limit exceeded" },
    });
    await attachEvidence(parseTicketKey("github:acme/infra#12"), await evidence(), { env, policy });
    expect(policy.slept).toEqual([30_000]);
    expect(gh.comments).toHaveLength(1);
  });

  it("ends at once on 401 and 404", async () => {
    const { env } = await github();
    const bad = await attachEvidence(parseTicketKey("github:acme/infra#12"), await evidence(), {
      env: { ...env, DIAGBOT_GITHUB_TOKEN: "nope" },
      policy: fakePolicy(),
    }).catch((e) => e);
    expect(bad.message).toMatch(/^DIAGBOT_GITHUB_TOKEN was refused \(401\): .*Bad credentials/);
    const missing = await attachEvidence(parseTicketKey("github:acme/infra#13"), await evidence(), {
      env,
      policy: fakePolicy(),
    }).catch((e) => e);
    expect(missing.message).toMatch(
      /^github:acme\/infra#13 was not found at DIAGBOT_GITHUB_URL \(404/,
    );
  });
});

describe("PagerDuty", () => {
  async function pagerduty() {
    const pd = await pagerdutyStandIn({
      token: "pd-token",
      incident: "PT4KHLK",
      routingKey: "R0UTING",
    });
    closers.push(pd.close);
    const env = {
      DIAGBOT_PAGERDUTY_URL: pd.url,
      DIAGBOT_PAGERDUTY_EVENTS_URL: pd.url,
      DIAGBOT_PAGERDUTY_TOKEN: "pd-token",
      DIAGBOT_PAGERDUTY_FROM: "oncall@example.com",
      DIAGBOT_PAGERDUTY_ROUTING_KEY: "R0UTING",
    };
    return { pd, env };
  }

  it("adds one incident note with the From header, the summary and the marker", async () => {
    const { pd, env } = await pagerduty();
    const ev = await evidence();
    const key = parseTicketKey("pagerduty:PT4KHLK");
    await attachEvidence(key, ev, { env, policy: fakePolicy() });
    const post = pd.calls[1];
    expect(post.method).toBe("POST");
    expect(post.url).toBe("/incidents/PT4KHLK/notes");
    expect(post.headers.from).toBe("oncall@example.com");
    expect(post.headers.authorization).toBe("Token token=pd-token");
    expect(pd.notes[0].content).toMatch(/^diagbot on test-host \(latency\): Most likely/);
    expect(pd.notes[0].content.endsWith(`diagbot-bundle: ${ev.sha256}`)).toBe(true);
    expect((await attachEvidence(key, ev, { env, policy: fakePolicy() })).status).toBe(
      "already-attached",
    );
    expect(pd.notes).toHaveLength(1);
  });

  it("triggers and resolves a finding through Events API v2 with the finding key as dedup_key", async () => {
    const { pd, env } = await pagerduty();
    const key = "web-1:disk-saturation:sda";
    const dedup = await sendFindingEvent(env, {
      action: "trigger",
      key,
      summary: "web-1: sda is saturated (92 %)",
      source: "web-1",
      severity: "error",
      details: { rule: "disk-saturated", confidence: 0.92 },
      link: "https://diagbot.example/evidence/abc",
    });
    expect(dedup).toBe(key);
    await sendFindingEvent(env, { action: "resolve", key });
    expect(pd.events).toEqual([
      {
        routing_key: "R0UTING",
        event_action: "trigger",
        dedup_key: key,
        payload: {
          summary: "web-1: sda is saturated (92 %)",
          source: "web-1",
          severity: "error",
          component: "web-1",
          custom_details: { rule: "disk-saturated", confidence: 0.92 },
        },
        links: [{ href: "https://diagbot.example/evidence/abc", text: "diagbot evidence" }],
        client: "diagbot",
      },
      { routing_key: "R0UTING", event_action: "resolve", dedup_key: key },
    ]);
    const refused = await sendFindingEvent(
      { ...env, DIAGBOT_PAGERDUTY_ROUTING_KEY: "WRONG" },
      { action: "resolve", key },
    ).catch((e) => e);
    expect(refused.code).toBe("ticket-refused");
  });
});

describe("webhook", () => {
  it("retries a refused connection, then says so", async () => {
    const hook = await webhookReceiver("w");
    await hook.close();
    const policy = fakePolicy();
    const err = await attachEvidence(parseTicketKey("webhook:x"), await evidence(), {
      env: { DIAGBOT_WEBHOOK_URL: hook.url, DIAGBOT_WEBHOOK_SECRET: "w" },
      policy,
    }).catch((e) => e);
    expect(err.code).toBe("ticket-failed");
    expect(err.message).toMatch(/after 3 tries: fetch failed \(ECONNREFUSED\)/);
    const { origin, pathname } = new URL(hook.url);
    expect(err.message).toContain(`(delivering x to ${origin}${pathname})`);
    expect(policy.slept).toEqual([1000, 2000]);
  });

  it("POSTs the documented payload, signed over <timestamp>.<raw body>", async () => {
    const hook = await webhookReceiver("hook-secret");
    closers.push(hook.close);
    const ev = await evidence();
    const env = {
      DIAGBOT_WEBHOOK_URL: `${hook.url}/diagbot`,
      DIAGBOT_WEBHOOK_SECRET: "hook-secret",
    };
    await attachEvidence(parseTicketKey("webhook:db-outage"), ev, { env, policy: fakePolicy() });
    expect(hook.delivered).toHaveLength(1);
    const p = hook.delivered[0] as Record<string, unknown>;
    expect(p).toMatchObject({
      version: 1,
      type: "diagbot.evidence",
      id: ev.sha256,
      label: "db-outage",
      host: "test-host",
      top: { category: "disk-saturation", rule: "rule-1", confidence: 0.9 },
      bundle: { name: ev.bundleName, sha256: ev.sha256, bytes: ev.bundle.length },
    });
    expect(hook.calls[0].headers["x-diagbot-delivery"]).toBe(ev.sha256);
    const wrong = await attachEvidence(parseTicketKey("webhook:db-outage"), ev, {
      env: { ...env, DIAGBOT_WEBHOOK_SECRET: "other" },
      policy: fakePolicy(),
    }).catch((e) => e);
    expect(wrong.message).toMatch(/^DIAGBOT_WEBHOOK_SECRET was refused \(401\)/);
  });
});
