import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { REDACTED, redactDeep, redactText } from "../../src/redact/index.js";
import { evidenceText, LIMITS, renderAnswer, renderHome } from "../../src/render/blocks.js";
import { fakeReport } from "../helpers/reports.js";

// biome-ignore lint/suspicious/noExplicitAny: Block Kit JSON is checked field by field below
type AnyBlock = Record<string, any>;

/** Every text of a message, with Slack's per-type limits checked. */
function checkLimits(blocks: AnyBlock[]): void {
  expect(blocks.length).toBeLessThanOrEqual(LIMITS.blocks);
  for (const b of blocks) {
    if (b.type === "section") expect(b.text.text.length).toBeLessThanOrEqual(LIMITS.sectionText);
    if (b.type === "header") expect(b.text.text.length).toBeLessThanOrEqual(LIMITS.headerText);
    if (b.type === "context") {
      expect(b.elements.length).toBeLessThanOrEqual(LIMITS.contextElements);
      for (const e of b.elements) expect(e.text.length).toBeLessThanOrEqual(LIMITS.sectionText);
    }
    if (b.type === "actions")
      for (const e of b.elements) expect(e.text.text.length).toBeLessThanOrEqual(LIMITS.buttonText);
  }
}

describe("Block Kit rendering", () => {
  it("a report with 30 findings stays within Block Kit limits", () => {
    const report = fakeReport({ findings: 30, evidencePerFinding: 40, excerpt: "x".repeat(500) });
    const m = renderAnswer(report, { diagnosisId: "dg_abc123", redactions: 0, bundle: true });
    checkLimits(m.blocks);
    expect(m.truncated).toBe(true);
    const all = JSON.stringify(m.blocks);
    expect(all).toContain("27 more hypotheses");
    expect(all).toContain("evidence file");
    expect(all).toContain("diagbot_evidence");
  });

  it("shows the top hypothesis, two runners-up, fine checks, failed collectors and buttons", () => {
    const m = renderAnswer(fakeReport({ findings: 3 }), {
      diagnosisId: "dg_abc123",
      redactions: 2,
      bundle: true,
      requestedBy: ["U1"],
    });
    const text = JSON.stringify(m.blocks);
    expect(m.text).toMatch(/disk-saturation/);
    expect(text).toContain("confidence *90 %*");
    expect(text).toContain("finding number 2");
    expect(text).toContain("finding number 3");
    expect(text).toContain("40 rules checked and fine");
    expect(text).toContain("perf-stat");
    expect(text).toContain("2 secrets redacted");
    const actions = m.blocks.find((b) => b.type === "actions") as AnyBlock;
    expect(actions.elements.map((e: AnyBlock) => e.text.text)).toEqual([
      "Re-run",
      "Deep dive",
      "Show evidence",
      "Attach to ticket",
    ]);
    expect(m.truncated).toBe(false);
  });

  it("escapes host output so that it cannot mention or link", () => {
    const m = renderAnswer(fakeReport({ excerpt: "<!channel> <https://evil|click> & co" }), {
      diagnosisId: "dg_abc123",
      redactions: 0,
      bundle: false,
    });
    const text = JSON.stringify(m.blocks);
    expect(text).not.toContain("<!channel>");
    expect(text).toContain("&lt;!channel&gt;");
  });

  it("a narrative is escaped, quoted, marked as a model's, and stays within the limits", () => {
    const report = fakeReport({ findings: 30, evidencePerFinding: 40, excerpt: "x".repeat(500) });
    const id = report.hypotheses[0]?.evidence[0]?.id ?? "finding-1#1";
    report.hypotheses[0]!.evidence[0]!.id = id;
    report.narrative = {
      text: `<!channel> see <https://evil|here>\n${"y".repeat(4000)}`,
      model: "m<1>",
      cites: [id],
    };
    const m = renderAnswer(report, { diagnosisId: "dg_abc123", redactions: 0, bundle: true });
    checkLimits(m.blocks);
    const narrative = (m.blocks[1] as AnyBlock).text.text as string;
    expect(narrative).toMatch(/^:robot_face: \*Written by a model\* \(`m&lt;1&gt;`\)/);
    expect(narrative).toContain(">&lt;!channel&gt; see &lt;https://evil|here&gt;\n>yyy");
    expect(JSON.stringify(m.blocks)).not.toContain("<!channel>");
    expect(JSON.stringify(m.blocks[2])).toContain(`Cites: \`${id}\``);
    expect(JSON.stringify(m.blocks[3])).toContain(`\`${id}\``);
  });

  it("an empty report says no root cause was found", () => {
    const report = { ...fakeReport(), hypotheses: [] };
    const m = renderAnswer(report, { diagnosisId: "dg_abc123", redactions: 0, bundle: true });
    expect(m.text).toMatch(/no root cause found/);
  });

  it("App Home lists recent diagnoses within the view limit", () => {
    const entries = Array.from({ length: 200 }, (_, i) => ({
      diagnosisId: `dg_${i}`,
      host: `host-${i}`,
      symptom: "latency",
      finishedAt: Date.now(),
      category: "disk-saturation",
      title: "sda is saturated",
      confidence: 0.8,
      requestedBy: "U1",
    }));
    const view = renderHome(entries, { canDeep: false });
    expect(view.blocks.length).toBeLessThanOrEqual(LIMITS.homeBlocks);
    expect(JSON.stringify(view.blocks)).toContain("host-0");
  });

  it("the evidence file holds every hypothesis and each output", () => {
    const text = evidenceText(
      fakeReport({ findings: 30 }),
      { "iostat.out": "Device r/s\nsda 1.0\n" },
      "dg_x",
    );
    expect(text).toContain("## 30. finding number 30");
    expect(text).toContain("==> iostat.out <==");
  });
});

describe("redaction", () => {
  const cases: [string, string][] = [
    ["/usr/bin/app --password=hunter2 --user bob", "--password=[REDACTED] --user bob"],
    ["app --token abcdef123456 --port 80", "--token [REDACTED] --port 80"],
    ["PGPASSWORD=s3cret psql -h db", "PGPASSWORD=[REDACTED] psql"],
    [
      "curl -H 'Authorization: Bearer abc.def.ghi123456789' https://x",
      "Authorization: Bearer [REDACTED]",
    ],
    ["redis://default:mypass@10.0.0.1:6379/0", "redis://default:[REDACTED]@10.0.0.1"],
    ["mysql -uroot -pTopSecret db", "-p[REDACTED]"],
    ["token xoxb-1234567890-abcdefghij here", `token ${REDACTED} here`],
    ['{"api_key": "zzz999", "name": "ok"}', '"api_key": "[REDACTED]", "name": "ok"'],
    ["GET /cb?access_token=abc123&x=1", "access_token=[REDACTED]&x=1"],
    [
      "AWS_SECRET_ACCESS_KEY=wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
      "AWS_SECRET_ACCESS_KEY=[REDACTED]",
    ],
    ["key AKIAIOSFODNN7EXAMPLE used", `key ${REDACTED} used`],
    ["ghp_abcdefghijklmnopqrstuvwxyz0123456789 x", `${REDACTED} x`],
  ];
  for (const [input, expected] of cases) {
    it(`redacts ${input.slice(0, 40)}`, () => {
      const r = redactText(input);
      expect(r.text).toContain(expected);
      expect(r.count).toBeGreaterThan(0);
      expect(r.text).not.toMatch(
        /hunter2|abcdef123456|s3cret|mypass|TopSecret|zzz999|abc123&|wJalr|AKIAIOSF|ghp_a/,
      );
    });
  }

  it("redacts a private key block whole", () => {
    // A real key, made now: none is kept in the repository.
    const dir = mkdtempSync(join(tmpdir(), "diagbot-redact-"));
    try {
      execFileSync("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-f", join(dir, "k")]);
      const key = readFileSync(join(dir, "k"), "utf8").trimEnd();
      const r = redactText(`before\n${key}\nafter`);
      expect(r.text).toBe(`before\n${REDACTED}\nafter`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("leaves ordinary diagnostic output alone", () => {
    const text = [
      "Device            r/s     w/s     rkB/s     wkB/s   rrqm/s   wrqm/s  %rrqm  %wrqm r_await w_await aqu-sz rareq-sz wareq-sz  svctm  %util",
      "sda              0.00   12.00      0.00     96.00     0.00     3.00   0.00  20.00    0.00    0.42   0.01     0.00     8.00   0.33   0.40",
      'LISTEN 0      128          0.0.0.0:22        0.0.0.0:*    users:(("sshd",pid=812,fd=3))',
      "net.ipv4.tcp_max_syn_backlog = 512",
      "[12345.678] Out of memory: Killed process 4242 (java) total-vm:1234kB",
    ].join("\n");
    expect(redactText(text)).toMatchObject({ text, count: 0 });
  });

  it("redacts every string in a report and counts", () => {
    const report = fakeReport({ excerpt: "java -Dpassword=abc -jar app.jar" });
    const r = redactDeep(report);
    expect(r.count).toBe(2);
    expect(JSON.stringify(r.value)).not.toContain("password=abc");
    expect(r.value.hypotheses[0].confidence).toBe(report.hypotheses[0].confidence);
  });
});
