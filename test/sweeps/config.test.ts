import { mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { formatSweepsIssue, loadSweeps, parseSweeps } from "../../src/sweeps/config.js";

/** sweeps.yaml: defaults, both schedule forms, and problems named by file, line and field. */
describe("sweeps.yaml", () => {
  it("reads the example of DESIGN.md with every field, and fills defaults", () => {
    const text = `sweeps:
  web-health:
    hosts: web
    schedule: "*/15 * * * *"
    timezone: Europe/Berlin
    symptom: health
    channel: C0123ABCD
    minConfidence: 0.5
    concurrency: 20
    confirmRuns: 2
    heartbeat: false
  db-fast:
    hosts: db
    every: 30s
    channel: C0DB
`;
    const { sweeps, issues } = parseSweeps(text, "sweeps.yaml");
    expect(issues).toEqual([]);
    expect(sweeps).toEqual([
      {
        name: "web-health",
        hosts: "web",
        schedule: { cron: "*/15 * * * *", timezone: "Europe/Berlin" },
        symptom: "health",
        channel: "C0123ABCD",
        minConfidence: 0.5,
        concurrency: 20,
        confirmRuns: 2,
        heartbeat: false,
      },
      {
        name: "db-fast",
        hosts: "db",
        schedule: { everyMs: 30_000 },
        symptom: "health",
        channel: "C0DB",
        minConfidence: 0.5,
        concurrency: 50,
        confirmRuns: 2,
        heartbeat: false,
      },
    ]);
  });

  it("names the file, line and field of each problem", () => {
    const text = `sweeps:
  web-health:
    hosts: web
    schedule: "every quarter hour"
    channel: C0123ABCD
  db:
    hosts: db
    every: 30s
    channel: C0DB
    minConfidence: 2
    confirm: 3
  cache:
    schedule: "* * * * *"
    timezone: Mars/Olympus
`;
    const { sweeps, issues } = parseSweeps(text, "/etc/diagbot/sweeps.yaml");
    expect(sweeps).toEqual([]);
    const lines = issues.map(formatSweepsIssue).sort();
    expect(lines).toEqual(
      [
        "/etc/diagbot/sweeps.yaml:10: sweeps.db.minConfidence: expected a number from 0 to 1",
        "/etc/diagbot/sweeps.yaml:11: sweeps.db.confirm: unknown field: expected hosts, schedule or every, timezone, symptom, channel, minConfidence, concurrency, confirmRuns, heartbeat, ticket",
        "/etc/diagbot/sweeps.yaml:12: sweeps.cache.hosts: expected a group, a host name, or all",
        "/etc/diagbot/sweeps.yaml:12: sweeps.cache.channel: expected a Slack channel id such as C0123ABCD",
      ].sort(),
    );
    // Once the shape is right, the schedule and the time zone are checked.
    const second = parseSweeps(
      `sweeps:
  web-health:
    hosts: web
    schedule: "every quarter hour"
    channel: C0123ABCD
  cache:
    hosts: cache
    schedule: "* * * * *"
    timezone: Mars/Olympus
    channel: C0CACHE
  both:
    hosts: all
    schedule: "* * * * *"
    every: 1m
    channel: C0ALL
`,
      "s.yaml",
    ).issues.map(formatSweepsIssue);
    expect(second).toEqual([
      expect.stringMatching(/^s\.yaml:4: sweeps\.web-health\.schedule: not a cron expression/),
      's.yaml:9: sweeps.cache.timezone: unknown time zone "Mars/Olympus": expected an IANA name such as Europe/Berlin',
      's.yaml:13: sweeps.both.schedule: give either schedule (a cron expression such as "*/15 * * * *") or every (such as 30s)',
    ]);
  });

  it("a YAML syntax error names its line", () => {
    const { issues } = parseSweeps("sweeps:\n  a:\n    hosts: [web\n", "s.yaml");
    expect(issues.length).toBeGreaterThan(0);
    expect(issues[0].line).toBeGreaterThan(0);
    expect(issues[0].message).toMatch(/^YAML syntax/);
  });

  it("loadSweeps: unset is no sweeps; a bad file is a config error (exit 2) naming it", async () => {
    expect(await loadSweeps({})).toEqual([]);
    const dir = await mkdtemp(join(tmpdir(), "diagbot-sweeps-"));
    const file = join(dir, "sweeps.yaml");
    await writeFile(file, "sweeps:\n  a:\n    hosts: web\n    every: 10ms\n    channel: C0A\n");
    await expect(loadSweeps({ DIAGBOT_SWEEPS: file })).rejects.toMatchObject({
      code: "config",
      message: `${file}:4: sweeps.a.every: expected a duration of at least 1s such as 30s, 5m or 1h, not "10ms"`,
    });
    await expect(loadSweeps({ DIAGBOT_SWEEPS: join(dir, "none.yaml") })).rejects.toMatchObject({
      code: "config",
      message: expect.stringMatching(/none\.yaml: no such file/),
    });
  });
});
