import { printableDeep } from "../render/printable.js";
import type { Digest } from "./changes.js";
import { stateUnreadableLine } from "./digest.js";
import type { HostResult, SweepResult } from "./types.js";

/**
 * The terminal view of a sweep: a progress bar while it runs, a table when it ends.
 */

/** Width of the bar, characters. */
const BAR = 30;
/** Slowest running hosts named on the progress line. */
const SLOWEST = 3;

/**
 * A one-line progress bar on a TTY stream (silent elsewhere), redrawn at most every 200 ms:
 * `[#########.....] 42/200 done, 2 unreachable, 1 failed · slowest: web-07 31s, db-01 28s`
 * (the statuses of the table and the summary).
 */
export function sweepProgress(stream: NodeJS.WriteStream, total: number) {
  const tty = Boolean(stream.isTTY);
  const running = new Map<string, number>();
  let done = 0;
  let unreachable = 0;
  let failed = 0;
  let timer: NodeJS.Timeout | undefined;
  const draw = () => {
    const now = Date.now();
    const filled = total === 0 ? BAR : Math.round((done / total) * BAR);
    const slowest = [...running]
      .sort((a, b) => a[1] - b[1])
      .slice(0, SLOWEST)
      .map(([h, t]) => `${h} ${Math.round((now - t) / 1000)}s`);
    const tail = slowest.length > 0 ? ` · slowest: ${slowest.join(", ")}` : "";
    stream.write(
      `\r\u001b[2K[${"#".repeat(filled)}${".".repeat(BAR - filled)}] ${done}/${total} done, ${unreachable} unreachable, ${failed} failed${tail}`,
    );
  };
  if (tty) {
    timer = setInterval(draw, 200);
    timer.unref();
  }
  return {
    start: (host: string) => running.set(host, Date.now()),
    finish: (result: HostResult) => {
      running.delete(result.host);
      done++;
      if (result.status === "unreachable") unreachable++;
      if (result.status === "failed") failed++;
      if (tty) draw();
    },
    stop: () => {
      if (timer) clearInterval(timer);
      if (tty) stream.write("\r\u001b[2K");
    },
  };
}

/**
 * The table printed at the end: hosts with findings first (most findings first, then by
 * name), one line per finding; then unreachable and failed hosts with their reason; then
 * the count of healthy hosts.
 */
export function renderSweepTable(shown: SweepResult): string {
  const result = printableDeep(shown);
  const lines: string[] = [];
  const byName = (a: HostResult, b: HostResult) => a.host.localeCompare(b.host);
  const withFindings = result.hosts
    .filter((h) => h.status === "ok" && h.findings.length > 0)
    .sort((a, b) => b.findings.length - a.findings.length || byName(a, b));
  const width = Math.max(4, ...result.hosts.map((h) => h.host.length));
  if (withFindings.length > 0) {
    lines.push(`${"HOST".padEnd(width)}  CONF  CATEGORY                   FINDING`);
    for (const h of withFindings) {
      for (const [i, f] of h.findings.entries()) {
        const name = (i === 0 ? h.host : "").padEnd(width);
        lines.push(`${name}  ${f.confidence.toFixed(2)}  ${f.category.padEnd(25)}  ${f.title}`);
      }
    }
    lines.push("");
  }
  const down = result.hosts.filter((h) => h.status !== "ok").sort(byName);
  if (down.length > 0) {
    lines.push(`${"HOST".padEnd(width)}  STATUS       REASON`);
    for (const h of down)
      lines.push(`${h.host.padEnd(width)}  ${h.status.padEnd(11)}  ${h.error ?? ""}`);
    lines.push("");
  }
  const s = result.summary;
  const healthy = s.ok - s.withFindings;
  lines.push(
    `${healthy} of ${s.hosts} hosts healthy, ${s.withFindings} with findings, ${s.unreachable} unreachable, ${s.failed} failed (${(result.durationMs / 1000).toFixed(1)} s)`,
  );
  return `${lines.join("\n")}\n`;
}

/**
 * What changed since the last run of the same target (with `DIAGBOT_STATE_DIR`): new and
 * resolved findings one per line, hosts unreachable or answering again, then counts. A first
 * run says so: its findings are held back until `confirmRuns` runs have seen them.
 */
export function renderChanges(shown: Digest): string {
  const d = printableDeep(shown);
  const lines = [
    "",
    d.firstRun
      ? "First run of this sweep (nothing earlier to compare with):"
      : "Changes since the last run:",
  ];
  if (d.stateUnreadable !== undefined) lines.push(`  ${stateUnreadableLine(d.stateUnreadable)}`);
  for (const f of d.new) lines.push(`  new       ${f.key}  ${f.title}`);
  for (const f of d.resolved) lines.push(`  resolved  ${f.key}  ${f.title}`);
  for (const u of d.unreachable.filter((x) => x.new))
    lines.push(`  unreachable  ${u.host}  ${u.error}`);
  for (const h of d.answeringAgain) lines.push(`  answering again  ${h}`);
  if (!d.changed) lines.push(d.firstRun ? "  nothing to report yet" : "  nothing changed");
  lines.push(
    `  ${d.stillPresent} still present, ${d.held} held back until confirmed (flap guard), ${d.unreachable.length} unreachable`,
  );
  return `${lines.join("\n")}\n`;
}

/** Names listed at most in the line for hosts that failed as another did. */
const MAX_NAMES = 20;

/**
 * Standard error's account of the hosts that did not answer: each way of failing (status
 * and error code) once in full, with its hint, for its first host; the other hosts that
 * failed that way on one line by name (their own reasons are in the table or `--json`), so
 * 200 hosts missing one known_hosts file give two lines, not 400.
 */
export function failureLines(hosts: readonly HostResult[]): string {
  const ways = new Map<string, HostResult[]>();
  for (const h of printableDeep(hosts.filter((r) => r.status !== "ok"))) {
    const way = `${h.status} ${h.errorCode ?? ""}`;
    ways.set(way, [...(ways.get(way) ?? []), h]);
  }
  let text = "";
  for (const [first, ...more] of ways.values()) {
    text += `diagbot: ${first.host}: ${first.status}: ${first.error ?? ""}\n`;
    if (first.hint) text += `  hint: ${first.hint}\n`;
    if (more.length === 0) continue;
    const names = more.slice(0, MAX_NAMES).map((h) => h.host);
    if (more.length > MAX_NAMES) names.push(`and ${more.length - MAX_NAMES} more`);
    const code = first.errorCode ? ` (${first.errorCode})` : "";
    text += `diagbot: ${more.length} more host${more.length === 1 ? "" : "s"} ${first.status} the same way${code}: ${names.join(", ")}; each one's reason is in the table, or the JSON\n`;
  }
  return text;
}
