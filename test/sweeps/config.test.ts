import { mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { loadInventory } from "../../src/inventory/inventory.js";
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
        '/etc/diagbot/sweeps.yaml:14: sweeps.cache.timezone: unknown time zone "Mars/Olympus": expected an IANA name such as Europe/Berlin',
        '/etc/diagbot/sweeps.yaml:4: sweeps.web-health.schedule: not a cron expression: it needs 5 fields (minute hour day-of-month month day-of-week) or 6 (a second first), not 3: "every quarter hour"',
      ].sort(),
    );
  });

  it.each([
    [
      "*/99 * * *",
      'not a cron expression: it needs 5 fields (minute hour day-of-month month day-of-week) or 6 (a second first), not 4: "*/99 * * *"',
    ],
    ["* * * * * * *", /^not a cron expression: it needs 5 fields .* not 7: /],
    [
      "*/99 * * * *",
      'the step 99 of "*/99" in the minute field is larger than its range 0-59: it would run at the range\'s start only',
    ],
    ["0 */24 * * *", /^the step 24 of "\*\/24" in the hour field is larger than its range 0-23/],
    ["0 0 1-10/31 * *", /^the step 31 of "1-10\/31" in the day of the month field/],
    ["*/61 * * * * *", /^the step 61 of "\*\/61" in the second field/],
  ])("a cron expression cron-parser would misread is refused: %s", (cron, why) => {
    const text = `sweeps:\n  s:\n    hosts: all\n    schedule: "${cron}"\n    channel: C0S\n`;
    const { sweeps, issues } = parseSweeps(text, "s.yaml");
    expect(sweeps).toEqual([]);
    expect(issues.map(formatSweepsIssue)).toEqual([
      typeof why === "string"
        ? `s.yaml:4: sweeps.s.schedule: ${why}`
        : expect.stringMatching(
            new RegExp(`^s\\.yaml:4: sweeps\\.s\\.schedule: ${why.source.slice(1)}`),
          ),
    ]);
  });

  it.each(["*/59 * * * *", "*/30 * * * * *", "0 9 * * mon-fri", "0 0 */15 * *", "@hourly"])(
    "a cron expression of 5 or 6 fields with steps in range is kept: %s",
    (cron) => {
      const text = `sweeps:\n  s:\n    hosts: all\n    schedule: "${cron}"\n    channel: C0S\n`;
      const { sweeps, issues } = parseSweeps(text, "s.yaml");
      expect(issues).toEqual([]);
      expect(sweeps[0].schedule).toEqual({ cron, timezone: "UTC" });
    },
  );

  it("reports every problem of every sweep in one reading, in line order", () => {
    const text = `sweeps:
  web-health:
    hosts: web
    schedule: "every quarter hour"
    timezone: Mars/Olympus
    channel: nope
  cache:
    hosts: cache
    schedule: "* * * * *"
    timezone: Mars/Olympus
    channel: C0CACHE
    concurrency: 0
    colour: blue
    size: 3
  both:
    hosts: all
    schedule: "* * * * *"
    every: 1m
    channel: C0ALL
  empty:
`;
    const lines = parseSweeps(text, "s.yaml").issues.map(formatSweepsIssue);
    expect(lines).toEqual([
      expect.stringMatching(
        /^s\.yaml:4: sweeps\.web-health\.schedule: not a cron expression: it needs 5 fields /,
      ),
      's.yaml:5: sweeps.web-health.timezone: unknown time zone "Mars/Olympus": expected an IANA name such as Europe/Berlin',
      "s.yaml:6: sweeps.web-health.channel: expected a Slack channel id such as C0123ABCD",
      's.yaml:10: sweeps.cache.timezone: unknown time zone "Mars/Olympus": expected an IANA name such as Europe/Berlin',
      "s.yaml:12: sweeps.cache.concurrency: expected a whole number from 1 to 1000",
      expect.stringMatching(/^s\.yaml:13: sweeps\.cache\.colour: unknown field/),
      expect.stringMatching(/^s\.yaml:14: sweeps\.cache\.size: unknown field/),
      's.yaml:17: sweeps.both.schedule: give either schedule (a cron expression such as "*/15 * * * *") or every (such as 30s)',
      "s.yaml:20: sweeps.empty: expected a sweep: hosts, schedule or every, channel, ...",
    ]);
  });

  it("with the inventory, a sweep whose hosts it lacks is refused with the files read and the closest groups", async () => {
    const dir = await mkdtemp(join(tmpdir(), "diagbot-sweeps-inv-"));
    await writeFile(
      join(dir, "inventory.yaml"),
      "hosts:\n  web-1:\n    address: 10.0.0.1\n    groups: [web, prod]\n  db-1:\n    address: 10.0.0.2\n    groups: [db]\n",
    );
    await writeFile(join(dir, "hosts.ini"), "[cache]\ncache-1 ansible_host=10.0.0.3\n");
    const inventory = await loadInventory([join(dir, "inventory.yaml"), join(dir, "hosts.ini")]);
    const text = `sweeps:
  web-health:
    hosts: wbe
    every: 30s
    channel: C0WEB
  fleet:
    hosts: all
    every: 1m
    channel: C0ALL
  one:
    hosts: cache-1
    every: 1m
    channel: C0ONE
  cache:
    hosts: cach
    every: 1m
    channel: C0CACHE
    concurrency: 0
`;
    const { sweeps, issues } = parseSweeps(text, "sweeps.yaml", { inventory });
    expect(sweeps).toEqual([]);
    const lines = issues.map(formatSweepsIssue);
    expect(lines).toHaveLength(3);
    expect(lines[0]).toBe(
      `sweeps.yaml:3: sweeps.web-health.hosts: sweep web-health: no group or host "wbe" in the inventory (files read: ${inventory.file}); closest known groups: web, db; closest known hosts: web-1; "all" is every host`,
    );
    expect(inventory.file).toContain("hosts.ini");
    expect(lines[1]).toMatch(
      /^sweeps\.yaml:15: sweeps\.cache\.hosts: sweep cache: no group or host "cach" in the inventory .*closest known groups: cache;/,
    );
    expect(lines[2]).toBe(
      "sweeps.yaml:18: sweeps.cache.concurrency: expected a whole number from 1 to 1000",
    );
    // Without the bad sweeps, the rest is taken: `all`, a group and a host name are known.
    const good = parseSweeps(text.split("  cache:")[0].replace("wbe", "web"), "sweeps.yaml", {
      inventory,
    });
    expect(good.issues).toEqual([]);
    expect(good.sweeps.map((s) => s.hosts)).toEqual(["web", "all", "cache-1"]);
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

  it("loadSweeps: a binary file is refused in one line, not read as YAML", async () => {
    // The node binary itself: a real ELF file, NUL bytes from its header on.
    const err = await loadSweeps({ DIAGBOT_SWEEPS: process.execPath }).catch((e) => e);
    expect(err).toMatchObject({ code: "config" });
    expect(err.message).toMatch(
      new RegExp(
        `^DIAGBOT_SWEEPS=${process.execPath.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}: not a text \\(YAML\\) file: binary data \\(a NUL byte at offset \\d+\\)$`,
      ),
    );
  });

  it("reports the first 10 YAML syntax errors, then how many more, with control characters escaped", () => {
    // U+009B is the one-character CSI of C1: the parser quotes it raw in its message.
    const text = `sweeps:\n  a: x\n]\u009bbell: y\n${"  b: y\n ]\n".repeat(30)}`;
    const lines = parseSweeps(text, "s.yaml").issues.map(formatSweepsIssue);
    expect(lines).toHaveLength(11);
    expect(lines[1]).toBe(
      's.yaml:3: (YAML): YAML syntax: Unexpected scalar token in YAML stream: "\\x9bbell"',
    );
    expect(lines[10]).toMatch(/^s\.yaml: \(YAML\): … and \d+ more YAML syntax errors$/);
    // biome-ignore lint/suspicious/noControlCharactersInRegex: no control character may be left
    for (const line of lines) expect(line).not.toMatch(/[\u0000-\u001f\u007f-\u009f]/);
  });
});
