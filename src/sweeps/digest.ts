import { createHash } from "node:crypto";
import type { DigestMessage } from "../model/answer.js";
import type { Symptom } from "../model/report.js";
import {
  ACTIONS,
  type Block,
  clip,
  escapeMrkdwn as esc,
  LIMITS,
  MUTE_DURATIONS,
} from "../render/blocks.js";
import type { Digest, DigestFinding } from "./changes.js";

/**
 * A sweep's digest as a Slack message (Block Kit, within Slack's limits: 50 blocks, 3000
 * characters a section, 150 a header or a select's placeholder, 75 a button label): a header
 * with the counts, then one host line per host with new findings (at most
 * {@link MAX_HOST_LINES}), each with a **Diagnose** button and a **Mute…** menu per finding key,
 * then the resolved findings and the hosts that stopped answering. What does not fit is in an
 * attached text file holding the whole digest, and the message says so. Every text from a host
 * (names, titles, errors) is escaped; it is redacted already.
 */

/** Host lines with buttons in one message: 2 blocks each, leaving room for the rest. */
export const MAX_HOST_LINES = 15;
/** Mute menus on one host line (Slack allows 25 elements in an actions block). */
const MAX_MUTES_PER_HOST = 5;

/**
 * The short form of a finding key carried in a Mute menu's value (an option value holds at
 * most 150 characters, a key up to about 460): the first 16 hex digits of its SHA-256. The
 * mute resolves it against the keys of the sweep's state.
 */
export function keyDigest(key: string): string {
  return createHash("sha256").update(key).digest("hex").slice(0, 16);
}

/** The value of a Mute option: `<sweep>|<key digest>|<duration code>`. */
export function muteValue(sweep: string, key: string, duration: string): string {
  return `${sweep}|${keyDigest(key)}|${duration}`;
}

/** The value of a Diagnose button: the host and the sweep's symptom, as JSON. */
export function diagnoseValue(host: string, symptom: Symptom): string {
  return JSON.stringify({ host, symptom });
}

const pct = (c: number) => `${Math.round(c * 100)} %`;

function section(text: string, accessory?: Block): Block {
  return {
    type: "section",
    text: { type: "mrkdwn", text: clip(text, LIMITS.sectionText) },
    ...(accessory ? { accessory } : {}),
  };
}

/** The header line: `web-health: 2 new, 1 resolved, 1 unreachable` (or "no change"). */
function headline(d: Digest): string {
  const parts: string[] = [];
  if (d.new.length > 0) parts.push(`${d.new.length} new`);
  if (d.resolved.length > 0) parts.push(`${d.resolved.length} resolved`);
  const down = d.unreachable.filter((u) => u.new).length;
  if (down > 0) parts.push(`${down} unreachable`);
  if (d.answeringAgain.length > 0) parts.push(`${d.answeringAgain.length} answering again`);
  if (d.stateUnreadable !== undefined) parts.push("state was unreadable");
  return `Sweep ${d.sweep}: ${parts.length > 0 ? parts.join(", ") : "no change"}`;
}

function counts(d: Digest): string {
  return [
    `${d.hosts} hosts`,
    `${d.stillPresent} still present`,
    `${d.unreachable.length} unreachable`,
    ...(d.held > 0 ? [`${d.held} held back (flap guard)`] : []),
    ...(d.muted > 0 ? [`${d.muted} muted`] : []),
    `run of ${d.startedAt}`,
  ].join(" · ");
}

function findingLine(f: DigestFinding): string {
  return `${esc(clip(f.title, 300))} (\`${esc(f.category)}\`, ${pct(f.confidence)})`;
}

function hostLine(
  sweep: string,
  host: string,
  findings: DigestFinding[],
  symptom: Symptom,
): Block[] {
  const text = `:new: *${esc(host)}*\n${findings.map((f) => `• ${findingLine(f)}`).join("\n")}`;
  const diagnose = {
    type: "button",
    text: { type: "plain_text", text: "Diagnose" },
    action_id: ACTIONS.sweepDiagnose,
    value: diagnoseValue(host, symptom),
  };
  const mutes = findings.slice(0, MAX_MUTES_PER_HOST).map((f, i) => ({
    type: "static_select",
    action_id: `${ACTIONS.sweepMute}_${i}`,
    placeholder: {
      type: "plain_text",
      text: clip(`Mute ${f.rule}${f.key.endsWith("/host") ? "" : ` (${subjectOf(f.key)})`}…`, 150),
    },
    options: Object.entries(MUTE_DURATIONS).map(([code, d]) => ({
      text: { type: "plain_text", text: d.label },
      value: muteValue(sweep, f.key, code),
    })),
  }));
  return [section(text, diagnose), { type: "actions", elements: mutes }];
}

/** The subject part of a key, decoded for people (`%2Fvar` is `/var`). */
function subjectOf(key: string): string {
  const subject = key.split("/").slice(2).join("/");
  try {
    return decodeURIComponent(subject);
  } catch {
    return subject;
  }
}

/**
 * Renders a digest.
 * @returns the message to post in `channel`, or undefined when nothing changed and no heartbeat
 *   is asked for (nothing is posted then).
 */
export function renderDigest(
  d: Digest,
  options: { channel: string; symptom: Symptom; heartbeat: boolean },
): DigestMessage | undefined {
  if (!d.changed && !options.heartbeat) return undefined;
  const title = headline(d);
  const blocks: Block[] = [
    { type: "header", text: { type: "plain_text", text: clip(esc(title), LIMITS.headerText) } },
    { type: "context", elements: [{ type: "mrkdwn", text: esc(counts(d)) }] },
  ];
  if (d.stateUnreadable !== undefined)
    blocks.push(section(`:warning: ${esc(stateUnreadableLine(d.stateUnreadable))}`));
  let cut = false;
  const byHost = new Map<string, DigestFinding[]>();
  for (const f of d.new) byHost.set(f.host, [...(byHost.get(f.host) ?? []), f]);
  const hosts = [...byHost];
  for (const [host, findings] of hosts.slice(0, MAX_HOST_LINES)) {
    blocks.push(...hostLine(d.sweep, host, findings, options.symptom));
    if (findings.length > MAX_MUTES_PER_HOST) cut = true;
  }
  if (hosts.length > MAX_HOST_LINES) cut = true;
  const list = (head: string, lines: string[]) => {
    if (lines.length === 0) return;
    const text = `${head}\n${lines.join("\n")}`;
    if (text.length > LIMITS.sectionText) cut = true;
    blocks.push(section(text));
  };
  list(
    ":white_check_mark: *Resolved*",
    d.resolved.map((f) => `• *${esc(f.host)}*: ${findingLine(f)}`),
  );
  list(
    ":electric_plug: *Not answering*",
    d.unreachable.map(
      (u) =>
        `• *${esc(u.host)}*${u.new ? "" : ` _(since ${esc(u.since)})_`}: ${esc(clip(u.error, 300))}`,
    ),
  );
  list(
    ":arrows_counterclockwise: *Answering again*",
    d.answeringAgain.map((h) => `• ${esc(h)}`),
  );
  if (cut) {
    blocks.push({
      type: "context",
      elements: [
        {
          type: "mrkdwn",
          text: `_${Math.max(0, hosts.length - MAX_HOST_LINES)} more hosts with new findings and the whole list are in the attached file_`,
        },
      ],
    });
  }
  return {
    channel: options.channel,
    text: clip(esc(title), LIMITS.fallbackText),
    blocks: blocks.slice(0, LIMITS.blocks),
    ...(cut ? { file: { filename: digestFileName(d), content: digestText(d) } } : {}),
  };
}

/**
 * What a digest says of a state that could not be read: `problem` (what was wrong, where the
 * bad copy is) and what it means for this run.
 */
export function stateUnreadableLine(problem: string): string {
  return `state was unreadable; every finding is shown as new (this run counts as the first): ${problem}`;
}

/** `sweep-<name>-<run time>.txt`, the time without `:` and `.` (file-name safe everywhere). */
export function digestFileName(d: Digest): string {
  return `sweep-${d.sweep}-${d.startedAt.replace(/[:.]/g, "-")}.txt`;
}

/** The whole digest as plain text: the attached file when the message could not hold it. */
export function digestText(d: Digest): string {
  const lines = [
    headline(d),
    counts(d),
    ...(d.stateUnreadable !== undefined ? [stateUnreadableLine(d.stateUnreadable)] : []),
    "",
  ];
  const block = (head: string, items: string[]) => {
    if (items.length === 0) return;
    lines.push(head, ...items.map((i) => `  ${i}`), "");
  };
  block(
    "New:",
    d.new.map((f) => `${f.key}  ${f.title} (${f.category}, ${pct(f.confidence)})`),
  );
  block(
    "Resolved:",
    d.resolved.map((f) => `${f.key}  ${f.title}`),
  );
  block(
    "Not answering:",
    d.unreachable.map((u) => `${u.host}  since ${u.since}  ${u.error}`),
  );
  block("Answering again:", d.answeringAgain);
  return `${lines.join("\n")}\n`;
}
