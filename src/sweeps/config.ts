import { readFile } from "node:fs/promises";
import { CronExpressionParser } from "cron-parser";
import ms from "ms";
import { isMap, LineCounter, parseDocument } from "yaml";
import { z } from "zod";
import { closestNames, type Inventory } from "../inventory/inventory.js";
import { DiagbotError, whyUnreadable } from "../model/errors.js";
import { SYMPTOMS, type Symptom } from "../model/report.js";
import {
  type FindingTicketTarget,
  GITHUB_REPO,
  JIRA_PROJECT,
  TICKET_SYSTEMS,
  WEBHOOK_LABEL,
} from "../model/ticket.js";
import { MAX_SYNTAX_ERRORS, notTextReason, yamlSyntax } from "../parsers/text.js";
import { DEFAULT_CONCURRENCY, MAX_CONCURRENCY } from "./sweep.js";

/**
 * `sweeps.yaml` (`DIAGBOT_SWEEPS`, DESIGN.md "Sweeps"): the scheduled sweeps, by name. A
 * user-facing format, kept stable. Unknown keys are refused and every value is checked before
 * anything is scheduled; each problem names the file, its line and the field.
 */

/** One scheduled sweep, with every default filled in. */
export interface SweepDefinition {
  /** The key under `sweeps:`; part of Redis keys and job ids. */
  name: string;
  /** A group, a host name, or `all` (resolved against the inventory at each run). */
  hosts: string;
  /** When to run: a cron expression (5 or 6 fields) in `timezone`, or a fixed interval. */
  schedule: { cron: string; timezone: string } | { everyMs: number };
  symptom: Symptom;
  /** Slack channel id the digests go to. */
  channel: string;
  /** Findings below this confidence (0..1) are not reported: they count as absent. */
  minConfidence: number;
  /** Hosts diagnosed at once for this sweep. */
  concurrency: number;
  /** Consecutive runs a finding must be seen (or be gone) before it is posted new (or resolved). */
  confirmRuns: number;
  /** Post a short "no change" digest when nothing changed. */
  heartbeat: boolean;
  /**
   * A ticket per finding key: a finding posted new at or above `minConfidence` (0..1) opens one
   * (a PagerDuty alert with the key as `dedup_key`, a Jira or GitHub issue, a webhook delivery),
   * resolved or noted when the finding is resolved.
   */
  ticket?: FindingTicketTarget & { minConfidence: number };
}

/** `web-health`: letters, digits, `.`, `_`, `-`; it becomes part of Redis keys and job ids. */
export const SWEEP_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
/** Longest run of the flap guard: more would hold a real change back for a day at 15 min. */
export const MAX_CONFIRM_RUNS = 10;
/** Shortest `every:`: a sweep more often than this would overlap its own runs. */
export const MIN_EVERY_MS = 1000;

const UNKNOWN_FIELD_MSG =
  "unknown field: expected hosts, schedule or every, timezone, symptom, channel, minConfidence, concurrency, confirmRuns, heartbeat, ticket";
const UNKNOWN_TICKET_FIELD_MSG =
  "unknown field: expected system, minConfidence, project, issueType, repo or label";
const TICKET_SYSTEM_MSG = `expected one of ${TICKET_SYSTEMS.join(", ")}`;
/** The field each system's target needs (none for PagerDuty: the routing key is a setting). */
const TICKET_FIELD = { pagerduty: undefined, jira: "project", github: "repo", webhook: "label" };
const HOSTS_MSG = "expected a group, a host name, or all";
/** A group or host name as the inventory spells them (names.ts), or `all`. */
const HOSTS_RE = /^[A-Za-z0-9._-]+$/;
const CHANNEL_MSG = "expected a Slack channel id such as C0123ABCD";

const entrySchema = z
  .object(
    {
      hosts: z
        .string({ required_error: HOSTS_MSG, invalid_type_error: HOSTS_MSG })
        .regex(HOSTS_RE, HOSTS_MSG),
      schedule: z
        .string({ invalid_type_error: 'expected a cron expression such as "*/15 * * * *"' })
        .optional(),
      every: z
        .string({ invalid_type_error: "expected a duration such as 30s, 5m or 1h" })
        .optional(),
      timezone: z.string({
        invalid_type_error: "expected an IANA time zone such as Europe/Berlin",
      }),
      symptom: z.enum(SYMPTOMS, {
        errorMap: () => ({ message: `expected one of ${SYMPTOMS.join(", ")}` }),
      }),
      channel: z
        .string({ required_error: CHANNEL_MSG, invalid_type_error: CHANNEL_MSG })
        .regex(/^[CGD][A-Z0-9]{2,}$/, CHANNEL_MSG),
      minConfidence: z
        .number({ invalid_type_error: "expected a number from 0 to 1" })
        .min(0, "expected a number from 0 to 1")
        .max(1, "expected a number from 0 to 1"),
      concurrency: z
        .number({ invalid_type_error: `expected a whole number from 1 to ${MAX_CONCURRENCY}` })
        .int(`expected a whole number from 1 to ${MAX_CONCURRENCY}`)
        .min(1, `expected a whole number from 1 to ${MAX_CONCURRENCY}`)
        .max(MAX_CONCURRENCY, `expected a whole number from 1 to ${MAX_CONCURRENCY}`),
      confirmRuns: z
        .number({ invalid_type_error: `expected a whole number from 1 to ${MAX_CONFIRM_RUNS}` })
        .int(`expected a whole number from 1 to ${MAX_CONFIRM_RUNS}`)
        .min(1, `expected a whole number from 1 to ${MAX_CONFIRM_RUNS}`)
        .max(MAX_CONFIRM_RUNS, `expected a whole number from 1 to ${MAX_CONFIRM_RUNS}`),
      heartbeat: z.boolean({ invalid_type_error: "expected true or false" }),
      ticket: z
        .object(
          {
            system: z.enum(TICKET_SYSTEMS as [TicketSystemName, ...TicketSystemName[]], {
              errorMap: () => ({ message: TICKET_SYSTEM_MSG }),
            }),
            project: z
              .string({ invalid_type_error: "expected a Jira project key such as OPS" })
              .regex(JIRA_PROJECT, "expected a Jira project key such as OPS")
              .optional(),
            issueType: z
              .string({ invalid_type_error: "expected a Jira issue type such as Task" })
              .min(1, "expected a Jira issue type such as Task")
              .max(255, "expected a Jira issue type such as Task")
              .optional(),
            repo: z
              .string({ invalid_type_error: "expected a GitHub repository such as acme/infra" })
              .regex(GITHUB_REPO, "expected a GitHub repository such as acme/infra")
              .optional(),
            label: z
              .string({ invalid_type_error: "expected a label of letters, digits, '.', '_', '-'" })
              .regex(WEBHOOK_LABEL, "expected a label of letters, digits, '.', '_', '-'")
              .optional(),
            minConfidence: z
              .number({ invalid_type_error: "expected a number from 0 to 1" })
              .min(0, "expected a number from 0 to 1")
              .max(1, "expected a number from 0 to 1")
              .optional(),
          },
          { invalid_type_error: "expected { system: jira, project: OPS, minConfidence: 0.8 }" },
        )
        .strict(),
    },
    { invalid_type_error: "expected a sweep: hosts, schedule or every, channel, ..." },
  )
  .partial({
    schedule: true,
    every: true,
    timezone: true,
    symptom: true,
    minConfidence: true,
    concurrency: true,
    confirmRuns: true,
    heartbeat: true,
    ticket: true,
  })
  .strict();

/** One problem of the file: where it is and what is wrong. */
export interface SweepsIssue {
  file: string;
  /** 1-based; undefined when the YAML has no node to point at. */
  line?: number;
  /** Dotted path: `sweeps.web-health.schedule`. */
  field: string;
  message: string;
}

/** `file:line: field: message`, the one-line form of an issue. */
export function formatSweepsIssue(issue: SweepsIssue): string {
  const where = issue.line === undefined ? issue.file : `${issue.file}:${issue.line}`;
  return `${where}: ${issue.field}: ${issue.message}`;
}

/** Options for {@link parseSweeps}. */
export interface ParseSweepsOptions {
  /**
   * The inventory the sweeps run over: each `hosts:` must name one of its groups, one of its
   * hosts, or `all` (unchecked when absent).
   */
  inventory?: Inventory;
}

/**
 * Parses and validates the text of a sweeps file. Pure. Every sweep is checked whole, whatever
 * the others hold: its fields, its schedule and time zone, and (with `options.inventory`) its
 * hosts, so one reading reports every problem of the file.
 * @returns the sweeps in file order, or every problem found (none are scheduled then).
 */
export function parseSweeps(
  text: string,
  file: string,
  options: ParseSweepsOptions = {},
): { sweeps: SweepDefinition[]; issues: SweepsIssue[] } {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, uniqueKeys: true, prettyErrors: true });
  if (doc.errors.length > 0) {
    const shown = doc.errors.slice(0, MAX_SYNTAX_ERRORS).map((e) => ({
      file,
      line: e.linePos?.[0]?.line,
      field: "(YAML)",
      message: yamlSyntax(e, false),
    }));
    const more = doc.errors.length - shown.length;
    return {
      sweeps: [],
      issues:
        more > 0
          ? [...shown, { file, field: "(YAML)", message: `… and ${more} more YAML syntax errors` }]
          : shown,
    };
  }
  const issue = (path: readonly PropertyKey[], message: string): SweepsIssue => ({
    file,
    line: lineOf(doc, lines, path),
    field: path.length === 0 ? "(top level)" : path.map(String).join("."),
    message,
  });
  const issues: SweepsIssue[] = [];
  const sweeps: SweepDefinition[] = [];
  for (const [name, raw] of sweepEntries(doc.toJS({ maxAliasCount: 50 }), (path, message) =>
    issues.push(issue(path, message)),
  )) {
    const fail = (field: readonly PropertyKey[], message: string) =>
      issues.push(issue(["sweeps", name, ...field], message));
    const sweep = sweepOf(name, raw, fail);
    const hosts = (raw as { hosts?: unknown } | null)?.hosts;
    if (options.inventory && typeof hosts === "string" && HOSTS_RE.test(hosts)) {
      const unknown = unknownTarget(options.inventory, hosts);
      if (unknown) fail(["hosts"], `sweep ${name}: ${unknown}`);
    }
    if (sweep) sweeps.push(sweep);
  }
  issues.sort((a, b) => (a.line ?? 0) - (b.line ?? 0));
  return issues.length > 0 ? { sweeps: [], issues } : { sweeps, issues };
}

/**
 * The sweeps of the file's top level, by name: `sweeps:` must be a map, and nothing else may
 * stand beside it (each other key is reported through `fail`).
 */
function sweepEntries(
  top: unknown,
  fail: (path: PropertyKey[], message: string) => void,
): [string, unknown][] {
  if (top === null || top === undefined || typeof top !== "object" || Array.isArray(top)) {
    fail([], "expected a `sweeps:` map of sweeps by name");
    return [];
  }
  for (const key of Object.keys(top)) {
    if (key !== "sweeps") fail([key], "unknown field: expected sweeps");
  }
  const sweeps = (top as { sweeps?: unknown }).sweeps;
  if (sweeps === null || typeof sweeps !== "object" || Array.isArray(sweeps)) {
    fail(
      ["sweeps"],
      sweeps === undefined
        ? "expected a `sweeps:` map of sweeps by name"
        : "expected sweeps by name",
    );
    return [];
  }
  return Object.entries(sweeps);
}

/**
 * One sweep with its defaults, or undefined when anything of it is wrong (each problem, fields
 * and schedule alike, reported through `fail` with the field it is about).
 */
function sweepOf(
  name: string,
  raw: unknown,
  fail: (field: readonly PropertyKey[], message: string) => void,
): SweepDefinition | undefined {
  if (!SWEEP_NAME.test(name)) {
    fail([], "a sweep name is 1 to 64 letters, digits, '.', '_' or '-'");
  }
  const parsed = entrySchema.safeParse(raw);
  if (!parsed.success) {
    for (const i of parsed.error.issues) {
      const keys = i.code === "unrecognized_keys" ? i.keys : [undefined];
      for (const key of keys) {
        fail(
          key === undefined ? i.path : [...i.path, key],
          key === undefined
            ? i.message
            : i.path[0] === "ticket"
              ? UNKNOWN_TICKET_FIELD_MSG
              : UNKNOWN_FIELD_MSG,
        );
      }
    }
  }
  // The schedule is checked from the raw fields, so a sweep with a bad channel still has its
  // cron and time zone read (a field of the wrong type is left to the schema's message).
  if (raw === null || typeof raw !== "object" || Array.isArray(raw)) return undefined;
  const fields = raw as Record<string, unknown>;
  const schedule = scheduleOf(fields, (field, message) => fail([field], message));
  const entry = parsed.success ? parsed.data : undefined;
  const ticket = entry?.ticket
    ? ticketOf(entry.ticket, name, (field, message) => fail(["ticket", field], message))
    : undefined;
  if (!entry || !schedule || !SWEEP_NAME.test(name) || (entry.ticket && !ticket)) return undefined;
  return {
    name,
    hosts: entry.hosts,
    schedule,
    symptom: entry.symptom ?? "health",
    channel: entry.channel,
    minConfidence: entry.minConfidence ?? 0.5,
    concurrency: entry.concurrency ?? DEFAULT_CONCURRENCY,
    confirmRuns: entry.confirmRuns ?? 2,
    heartbeat: entry.heartbeat ?? false,
    ...(entry.ticket && ticket
      ? {
          ticket: {
            ...ticket,
            minConfidence: entry.ticket.minConfidence ?? entry.minConfidence ?? 0.5,
          },
        }
      : {}),
  };
}

/**
 * Why `target` (a sweep's `hosts:`) names nothing of `inventory`, or undefined when it is `all`,
 * a group or a host. The message names the inventory files read and the closest group names
 * (then host names), by {@link closestNames}; with none close, the groups there are.
 */
export function unknownTarget(inventory: Inventory, target: string): string | undefined {
  if (target === "all" || inventory.groups.has(target) || inventory.hosts.has(target)) {
    return undefined;
  }
  const groups = closestNames(target, inventory.groups.keys(), 10);
  const hosts = closestNames(target, inventory.hosts.keys(), 5);
  const known = [...inventory.groups.keys()].sort();
  const near = [
    ...(groups.length > 0 ? [`closest known groups: ${groups.join(", ")}`] : []),
    ...(hosts.length > 0 ? [`closest known hosts: ${hosts.join(", ")}`] : []),
  ];
  const hint =
    near.length > 0
      ? near.join("; ")
      : known.length > 0
        ? `known groups: ${known.slice(0, 20).join(", ")}${known.length > 20 ? ", ..." : ""}`
        : "the inventory has no groups";
  return `no group or host ${JSON.stringify(target)} in the inventory (files read: ${inventory.file}); ${hint}; "all" is every host`;
}

/** The line of `path` in the document: the deepest node that exists (a missing field: its map). */
function lineOf(
  doc: ReturnType<typeof parseDocument>,
  lines: LineCounter,
  path: readonly PropertyKey[],
): number | undefined {
  for (let n = path.length; n >= 0; n--) {
    const node = n === 0 ? doc.contents : doc.getIn(path.slice(0, n) as unknown[], true);
    const range = (node as { range?: [number, number, number] } | undefined)?.range;
    if (node !== undefined && range) {
      // A map's range begins at its first key; a key's value, at the value.
      const pair = n > 0 ? pairKeyRange(doc, path.slice(0, n)) : undefined;
      return lines.linePos(pair ?? range[0]).line;
    }
    // A key whose value is empty (`every:`) has no node: its key's line is the line.
    const pair = n > 0 ? pairKeyRange(doc, path.slice(0, n)) : undefined;
    if (pair !== undefined) return lines.linePos(pair).line;
  }
  return undefined;
}

/** The start of the key of the pair at `path` (so a field's line is its key's line). */
function pairKeyRange(doc: ReturnType<typeof parseDocument>, path: readonly PropertyKey[]) {
  const parent = path.length === 1 ? doc.contents : doc.getIn(path.slice(0, -1) as unknown[], true);
  if (!isMap(parent)) return undefined;
  const pair = parent.items.find(
    (p) => String((p.key as { value?: unknown })?.value) === String(path[path.length - 1]),
  );
  return (pair?.key as { range?: [number, number, number] } | undefined)?.range?.[0];
}

type TicketSystemName = (typeof TICKET_SYSTEMS)[number];

/**
 * The ticket target of an entry: each system's own field (`project` for Jira, issue type
 * default `Task`; `repo` for GitHub; `label` for a webhook, default the sweep's name; none for
 * PagerDuty), and no field of another system.
 */
function ticketOf(
  entry: NonNullable<z.infer<typeof entrySchema>["ticket"]>,
  sweep: string,
  fail: (field: string, message: string) => void,
): FindingTicketTarget | undefined {
  const own = TICKET_FIELD[entry.system];
  let ok = true;
  for (const field of ["project", "issueType", "repo", "label"] as const) {
    const owner = field === "issueType" ? "project" : field;
    if (entry[field] !== undefined && owner !== own) {
      fail(
        field,
        `${field} is not a ${entry.system} setting: ${entry.system} takes ${own ?? "no target field"}`,
      );
      ok = false;
    }
  }
  if (!ok) return undefined;
  switch (entry.system) {
    case "pagerduty":
      return { system: "pagerduty" };
    case "jira":
      if (entry.project === undefined) {
        fail(
          "project",
          "a jira ticket needs project: the Jira project issues are opened in, such as OPS",
        );
        return undefined;
      }
      return { system: "jira", project: entry.project, issueType: entry.issueType ?? "Task" };
    case "github": {
      const m = GITHUB_REPO.exec(entry.repo ?? "");
      if (!m) {
        fail(
          "repo",
          "a github ticket needs repo: the repository issues are opened in, such as acme/infra",
        );
        return undefined;
      }
      return { system: "github", owner: m[1], repo: m[2] };
    }
    case "webhook":
      return { system: "webhook", label: entry.label ?? sweep };
  }
}

/**
 * `schedule` (cron, checked with cron-parser as BullMQ reads it) xor `every` (a duration), from
 * the raw fields: each problem is reported (a cron expression is read even when the time zone
 * is unknown); a field that is not text is left to the schema's message.
 */
function scheduleOf(
  fields: { schedule?: unknown; every?: unknown; timezone?: unknown },
  fail: (field: string, message: string) => void,
): SweepDefinition["schedule"] | undefined {
  if ((fields.schedule === undefined) === (fields.every === undefined)) {
    fail(
      "schedule",
      'give either schedule (a cron expression such as "*/15 * * * *") or every (such as 30s)',
    );
    return undefined;
  }
  if (fields.every !== undefined) {
    if (fields.timezone !== undefined)
      fail("timezone", "a time zone applies to a cron schedule only");
    if (typeof fields.every !== "string") return undefined;
    const everyMs = ms(fields.every as ms.StringValue) as number | undefined;
    if (typeof everyMs !== "number" || !Number.isFinite(everyMs) || everyMs < MIN_EVERY_MS) {
      fail(
        "every",
        `expected a duration of at least 1s such as 30s, 5m or 1h, not "${fields.every}"`,
      );
      return undefined;
    }
    return fields.timezone === undefined ? { everyMs } : undefined;
  }
  const timezone = fields.timezone ?? "UTC";
  let zoneKnown = typeof timezone === "string";
  try {
    if (zoneKnown) new Intl.DateTimeFormat("en", { timeZone: timezone as string });
  } catch {
    zoneKnown = false;
    fail(
      "timezone",
      `unknown time zone "${timezone}": expected an IANA name such as Europe/Berlin`,
    );
  }
  if (typeof fields.schedule !== "string") return undefined;
  const cron = fields.schedule;
  const shape = cronShapeProblem(cron);
  if (shape !== undefined) {
    fail("schedule", shape);
    return undefined;
  }
  try {
    CronExpressionParser.parse(cron, { tz: zoneKnown ? (timezone as string) : "UTC" });
  } catch (err) {
    fail("schedule", `not a cron expression: ${(err as Error).message}`);
    return undefined;
  }
  return zoneKnown ? { cron, timezone: timezone as string } : undefined;
}

/**
 * The fields of a cron expression, in the order of the 6-field form cron-parser reads
 * (second first; the 5-field form starts at the minute), with their ranges (cron-parser 5).
 */
const CRON_FIELDS = [
  { name: "second", min: 0, max: 59 },
  { name: "minute", min: 0, max: 59 },
  { name: "hour", min: 0, max: 23 },
  { name: "day of the month", min: 1, max: 31 },
  { name: "month", min: 1, max: 12 },
  { name: "day of the week", min: 0, max: 7 },
];

/**
 * What cron-parser would accept but read otherwise than written, in a cron expression: other
 * than 5 fields (minute to day of the week) or 6 (a second first), which BullMQ passes to
 * cron-parser as they are and cron-parser fills up or shifts; a step (`*\/N`, `a-b/N`) larger
 * than its field's range, which cron-parser takes as the range's start alone. A macro
 * (`@hourly`) is left to cron-parser.
 * @returns one line saying what is wrong, or undefined.
 */
function cronShapeProblem(cron: string): string | undefined {
  const parts = cron.trim().split(/\s+/);
  if (parts.length === 1 && parts[0].startsWith("@")) return undefined;
  if (parts.length !== 5 && parts.length !== 6) {
    return `not a cron expression: it needs 5 fields (minute hour day-of-month month day-of-week) or 6 (a second first), not ${parts.length}: "${cron}"`;
  }
  const fields = CRON_FIELDS.slice(6 - parts.length);
  for (const [i, part] of parts.entries()) {
    const field = fields[i];
    for (const item of part.split(",")) {
      const step = /\/(\d+)$/.exec(item);
      if (step && Number(step[1]) > field.max - field.min) {
        return `the step ${step[1]} of "${item}" in the ${field.name} field is larger than its range ${field.min}-${field.max}: it would run at the range's start only`;
      }
    }
  }
  return undefined;
}

/**
 * Reads `DIAGBOT_SWEEPS`. Unset: no sweeps (an empty list). With `inventory`, each sweep's
 * `hosts:` must name one of its groups or hosts (see {@link unknownTarget}).
 * @throws DiagbotError `config` naming the file, line and field of every problem.
 */
export async function loadSweeps(
  env: NodeJS.ProcessEnv = process.env,
  inventory?: Inventory,
): Promise<SweepDefinition[]> {
  const file = env.DIAGBOT_SWEEPS;
  if (!file) return [];
  const hint = "point DIAGBOT_SWEEPS at a sweeps.yaml (README: Scheduled sweeps), or unset it";
  let bytes: Buffer;
  try {
    bytes = await readFile(file);
  } catch (err) {
    throw new DiagbotError("config", `DIAGBOT_SWEEPS=${file}: ${whyUnreadable(err)}`, { hint });
  }
  const binary = notTextReason(bytes);
  if (binary !== undefined) {
    throw new DiagbotError(
      "config",
      `DIAGBOT_SWEEPS=${file}: not a text (YAML) file: binary data (${binary})`,
      { hint },
    );
  }
  const { sweeps, issues } = parseSweeps(bytes.toString("utf8"), file, { inventory });
  if (issues.length > 0) {
    throw new DiagbotError("config", issues.map(formatSweepsIssue).join("\n"), {
      hint: "fix the file (README: Scheduled sweeps); no sweep is scheduled until it is valid",
    });
  }
  return sweeps;
}
