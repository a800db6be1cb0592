import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { sha256hex } from "../../src/bundle/manifest.js";
import { redactedBundle } from "../../src/queue/bundle.js";
import { CLASSES, redactDeep, redactText } from "../../src/redact/index.js";
import { evidenceText, renderAnswer } from "../../src/render/blocks.js";
import { runCli } from "../helpers/cli.js";
import { fakeReport } from "../helpers/reports.js";
import { CORPUS, leaked } from "./corpus.js";

/**
 * The redaction corpus: at least 100 secrets of at least 50 shapes, each hidden in realistic
 * output, are all replaced: through the function, through `diagbot redact` (standard input and
 * a bundle directory), and through what a Slack answer shows and uploads.
 */
const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

describe("redaction corpus", () => {
  it("has at least 100 secrets of at least 50 shapes, in every class", () => {
    expect(CORPUS.length).toBeGreaterThanOrEqual(100);
    expect(new Set(CORPUS.map((e) => e.shape)).size).toBeGreaterThanOrEqual(50);
    expect(new Set(CORPUS.map((e) => e.class))).toEqual(new Set(CLASSES));
  });

  for (const e of CORPUS) {
    it(`${e.class} ${e.shape} in ${e.context}`, () => {
      const r = redactText(e.text);
      expect(leaked(r.text, e.secret), r.text).toBeUndefined();
      expect(r.counts[e.class], JSON.stringify(r.counts)).toBeGreaterThan(0);
    });
  }

  it("diagbot redact - replaces every secret from standard input and counts by class", async () => {
    const input = CORPUS.map((e) => e.text).join("\n");
    const r = await runCli(["redact", "-"], { input });
    expect(r.code).toBe(0);
    for (const e of CORPUS) expect(leaked(r.stdout, e.secret), e.shape).toBeUndefined();
    expect(r.stderr).toMatch(/diagbot redact: \d+ values replaced: .*vendor-token/);
    for (const c of CLASSES) expect(r.stderr).toContain(c);
  });

  it("diagbot redact DIR --out OUT writes a redacted bundle with its manifest updated", async () => {
    const dir = mkdtempSync(join(tmpdir(), "diagbot-redact-in-"));
    const out = join(mkdtempSync(join(tmpdir(), "diagbot-redact-out-")), "copy");
    dirs.push(dir, join(out, ".."));
    const collectors: Record<string, unknown> = {};
    CORPUS.forEach((e, i) => {
      const id = `c${i}`;
      writeFileSync(join(dir, `${id}.out`), e.text);
      collectors[id] = {
        status: "ok",
        command: e.text.split("\n")[0],
        sha256: { out: sha256hex(Buffer.from(e.text)) },
      };
    });
    const manifest = { version: 1, host: "web-1", symptom: "latency", collectors };
    writeFileSync(join(dir, "bundle.json"), JSON.stringify(manifest));
    const r = await runCli(["redact", dir, "--out", out]);
    expect(r.code, r.stderr).toBe(0);
    expect(statSync(out).mode & 0o777).toBe(0o700);
    const copy = JSON.parse(readFileSync(join(out, "bundle.json"), "utf8"));
    expect(Object.keys(copy)).toEqual([...Object.keys(manifest), "redacted", "redactions"]);
    expect(copy.redacted).toBeGreaterThanOrEqual(CORPUS.length);
    expect(readdirSync(out).sort()).toEqual(readdirSync(dir).sort());
    CORPUS.forEach((e, i) => {
      const file = join(out, `c${i}.out`);
      expect(statSync(file).mode & 0o777).toBe(0o600);
      const text = readFileSync(file);
      expect(leaked(text.toString(), e.secret), e.shape).toBeUndefined();
      expect(copy.collectors[`c${i}`].sha256.out).toBe(sha256hex(text));
    });
    expect(
      leaked(readFileSync(join(out, "bundle.json"), "utf8"), CORPUS[0].secret),
    ).toBeUndefined();
  });

  it("a Slack answer and its uploaded evidence show none of them", () => {
    const report = fakeReport({ findings: 3, evidencePerFinding: CORPUS.length });
    report.hypotheses.forEach((h, i) => {
      h.evidence.forEach((ev, j) => {
        ev.excerpt = CORPUS[j].text;
      });
      h.title = `busiest process: ${CORPUS[i].text.split("\n").at(-2)}`;
      h.remediation = CORPUS.slice(0, 20).map((e) => `look at ${e.text}`);
    });
    // What the worker does: redact the report and the bundle, then render and upload.
    const red = redactDeep(report);
    const bundle = redactedBundle(
      { host: "web-1", startedAt: report.startedAt, symptom: "latency", windowSeconds: 1 },
      CORPUS.map((e, i) => ({
        id: `c${i}`,
        status: "ok",
        durationMs: 1,
        out: Buffer.from(e.text),
        command: e.text,
      })),
    );
    const message = renderAnswer(red.value, {
      diagnosisId: "dg_abc123",
      redactions: red.count,
      bundle: true,
    });
    const outputs = Object.fromEntries(
      Object.entries(bundle.files).filter(([n]) => n !== "bundle.json"),
    );
    const shown =
      JSON.stringify(message) +
      evidenceText(red.value, outputs, "dg_abc123") +
      bundle.files["bundle.json"];
    for (const e of CORPUS) expect(leaked(shown, e.secret), e.shape).toBeUndefined();
  });
});
