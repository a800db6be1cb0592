import type { Collector } from "../collectors/types.js";
import type { Category, CollectorRecord, Coverage, Report, Symptom } from "../model/report.js";
import { FILTERED } from "../runbooks/evaluate.js";
import type { Runbook } from "../runbooks/schema.js";
import { COLLECTORS } from "../sources/collectors.js";
import { SYMPTOM_PREFERENCE } from "./rank.js";

/**
 * Coverage: which collectors could not be read, and the rules and categories their output
 * would have decided (DESIGN.md "Report", `coverage`). A rule counts only when none of the
 * alternatives of the need is present. Collectors left out of the plan on purpose (`--deep`,
 * `--pid`, another symptom) are choices, not gaps, and so are collectors skipped because what
 * they read does not exist on the host (see notOnThisHost); in a replay, a collector the plan for the
 * symptom would have run and the bundle lacks is a gap ("not in the bundle").
 */

/** What a category's rules look for, in a person's words (for the headline). */
const CATEGORY_WORDS: Readonly<Record<Category, string>> = {
  "cpu-saturation": "CPU saturation",
  "cpu-throttling-cgroup": "cgroup CPU throttling",
  "run-queue-latency": "run-queue waits",
  "steal-time": "steal time",
  "memory-oom": "OOM kills",
  "memory-swap-thrash": "swap thrashing",
  "memory-leak": "memory leaks",
  "disk-saturation": "disk saturation",
  "disk-errors-hardware": "disk errors",
  "filesystem-full": "full filesystems",
  "inode-exhaustion": "inode exhaustion",
  "fd-exhaustion": "file descriptor exhaustion",
  "pids-exhaustion": "task limits",
  "dirty-writeback-stall": "writeback stalls",
  "network-listen-overflow": "listen queue overflows",
  "network-syn-flood": "SYN floods",
  "conntrack-full": "a full conntrack table",
  "network-retransmits-loss": "retransmits",
  "nic-drops-softirq": "NIC drops",
  "ephemeral-port-exhaustion": "ephemeral port exhaustion",
  "tcp-memory-pressure": "TCP memory pressure",
  "lock-contention": "lock contention",
  "syscall-heavy": "syscall storms",
  "hung-task": "hung tasks",
  "kernel-bug": "kernel bugs",
  "hardware-mce": "machine-check errors",
  "clock-skew": "clock problems",
  other: "other findings",
};

/** Where a gap comes from: a record of the run or the bundle, or a collector the bundle lacks. */
interface Gap {
  collector: string;
  status: CollectorRecord["status"] | "absent";
  error?: string;
}

/**
 * The coverage entries of a report, most relevant to the symptom first.
 * @param records the collectors' records (status not `ok` are the gaps)
 * @param present collector ids that produced output
 * @param root true when the collectors ran as root, undefined for a replay
 * @param replayOf for a replay: the ids the plan for the symptom would run (absent ones are gaps)
 */
export function coverageOf(
  runbooks: readonly Runbook[],
  records: readonly CollectorRecord[],
  present: ReadonlySet<string>,
  symptom: Symptom,
  opts: { root?: boolean; replayOf?: readonly string[] },
): Coverage[] {
  const gaps: Gap[] = records
    .filter((r) => r.status !== "ok" && !present.has(r.id) && !notOnThisHost(r))
    .map((r) => ({ collector: r.id, status: r.status, error: r.error }));
  for (const id of opts.replayOf ?? [])
    if (!present.has(id) && !records.some((r) => r.id === id))
      gaps.push({ collector: id, status: "absent" });
  const out: Coverage[] = [];
  for (const gap of gaps) {
    const rules = runbooks.filter((r) => lacks(r, gap.collector, present));
    if (rules.length === 0) continue;
    const collector = COLLECTORS.find((c) => c.id === gap.collector);
    const rootIsWhy = rootWasWhy(gap, collector, opts);
    const entry: Coverage = {
      collector: gap.collector,
      reason: reasonOf(gap, rootIsWhy),
      rules: rules.map((r) => r.id),
      categories: [...new Set(rules.map((r) => r.category))],
    };
    const decide = wouldDecide(gap, collector, rootIsWhy, opts.replayOf !== undefined);
    if (decide) entry.wouldDecide = decide;
    out.push(entry);
  }
  const weight = (c: Coverage) => relevantCategories(c, symptom).length;
  return out.sort((a, b) => weight(b) - weight(a));
}

/**
 * True when the collector was skipped because what it reads does not exist on the host (its
 * `absent` reason: no EDAC driver, no SCSI disk, no NFS client, a kernel without PSI): nothing
 * there could hold a finding, so it is no gap in what was checked.
 */
function notOnThisHost(record: CollectorRecord): boolean {
  if (record.status !== "skipped") return false;
  const reason = COLLECTORS.find((c) => c.id === record.id)?.absent?.reason;
  return reason !== undefined && record.error === reason;
}

/** True when the rule needs `id` and no alternative of that need gave output. */
function lacks(rule: Runbook, id: string, present: ReadonlySet<string>): boolean {
  return rule.needs.some((need) => {
    const alts = Array.isArray(need) ? need : [need];
    return alts.includes(id) && !alts.some((a) => present.has(a));
  });
}

/** A collector's command line as a coverage sentence names it (a 5 s window, PID 1, no sudo). */
function sampleLine(collector: Collector) {
  return collector.command({ windowSeconds: 5, pids: [1], sudo: false, root: false });
}

/** True when the collector's command needs root and the run had none. */
function neededRoot(collector: Collector | undefined, root: boolean | undefined): boolean {
  if (!collector || root === true) return false;
  return sampleLine(collector)?.root === true;
}

/**
 * True when the collector failed for want of root: its command needs root and the run had
 * none. Read from evidence (a bundle, a paste), the output failed to be read for what its error
 * says: root is the reason only when that error is a refused permission, never for a corrupt
 * or unreadable file.
 */
function rootWasWhy(
  gap: Gap,
  collector: Collector | undefined,
  opts: { root?: boolean; replayOf?: readonly string[] },
): boolean {
  if (gap.status !== "failed" || !neededRoot(collector, opts.root)) return false;
  if (opts.replayOf === undefined) return true;
  return /permission denied|not permitted|EPERM|EACCES|dmesg_restrict/i.test(gap.error ?? "");
}

function reasonOf(gap: Gap, rootIsWhy: boolean): string {
  if (gap.status === "absent") return "not in the bundle";
  const base = gap.error ? `${gap.status}: ${gap.error}` : gap.status;
  return rootIsWhy ? `${base} (needs root or sudo: true)` : base;
}

/** The command that would settle the gap: `` `dmesg` as root``, `install sysstat`. */
function wouldDecide(
  gap: Gap,
  collector: Collector | undefined,
  rootIsWhy: boolean,
  evidence: boolean,
): string | undefined {
  if (!collector) return undefined;
  const line = sampleLine(collector);
  const shown = !line || line.script ? collector.id : line.argv.join(" ");
  const asRoot = neededRoot(collector, undefined) ? " (as root where it needs it)" : "";
  if (gap.status === "missing" && collector.package) return `install ${collector.package}`;
  if (gap.status === "absent") return `\`${shown}\`${asRoot}`;
  if (evidence && !rootIsWhy) return `a readable output of \`${shown}\`${asRoot} in its place`;
  if (rootIsWhy) {
    const why = collector.id === "dmesg" ? " (kernel.dmesg_restrict)" : "";
    return `run as root or set sudo: true for ${collector.id}${why}: \`${shown}\` as root`;
  }
  return `\`${shown}\``;
}

/**
 * Categories of the entry that the symptom asks about: those it prefers (engine/rank.ts
 * SYMPTOM_PREFERENCE); every category for `health`.
 */
export function relevantCategories(entry: Coverage, symptom: Symptom): Category[] {
  if (symptom === "health") return entry.categories;
  return entry.categories.filter((c) => SYMPTOM_PREFERENCE[symptom].includes(c));
}

/** A collector's short name: `the kernel log` (its title before a colon), else `` the `vmstat` output``. */
function shortName(id: string): string {
  const title = COLLECTORS.find((c) => c.id === id)?.title ?? "";
  return title.includes(":") ? `the ${title.split(":")[0]?.trim()}` : `the \`${id}\` output`;
}

/** What a missing collector lacks: the program it runs (`` `iostat` ``), else its package. */
function toolOf(id: string): string | undefined {
  const collector = COLLECTORS.find((c) => c.id === id);
  const line = collector && sampleLine(collector);
  return line && !line.script ? `\`${line.argv[0]}\`` : collector?.package;
}

/** `a`, `a and b`, `a, b and c`. */
function list(items: readonly string[]): string {
  return items.length <= 1
    ? (items[0] ?? "")
    : `${items.slice(0, -1).join(", ")} and ${items[items.length - 1]}`;
}

/** `OOM kills and disk errors were not checked`. */
function notChecked(cats: readonly Category[]): string {
  const words = cats.slice(0, 4).map((c) => CATEGORY_WORDS[c]);
  if (cats.length > 4) words.push(`${cats.length - 4} more`);
  const one = words.length === 1 && !words[0]?.endsWith("s");
  return `${list(words)} ${one ? "was" : "were"} not checked`;
}

/**
 * The coverage sentence of a headline, or undefined when no gap touches the symptom (or, when
 * nothing was found and no rule could be judged at all, says that):
 * `the kernel log could not be read (needs root or sudo: true): OOM kills, hung tasks and disk
 * errors were not checked`. At most two failed collectors are named; the outputs a replayed
 * bundle lacks are said together.
 */
export function gapSentence(
  report: Pick<Report, "coverage" | "symptom"> & Partial<Pick<Report, "hypotheses" | "checked">>,
): string | undefined {
  // Evidence that let no rule decide anything (a paste of /proc/loadavg alone) proves nothing.
  if (
    (report.hypotheses ?? []).length === 0 &&
    report.checked !== undefined &&
    !report.checked.some((c) => c.verdict === "fine")
  ) {
    return report.checked.some((c) => c.why?.endsWith(FILTERED))
      ? `no rule could be checked: the evidence is only part of an output ${FILTERED}`
      : "no rule could be checked: the evidence holds none of the facts the rules read";
  }
  // A category a finding already names was checked: the gap cannot hide it.
  const found = new Set((report.hypotheses ?? []).map((h) => h.category));
  const relevant = (entry: Coverage) =>
    relevantCategories(entry, report.symptom).filter((c) => !found.has(c));
  const parts: string[] = [];
  const absent: Coverage[] = [];
  for (const entry of report.coverage ?? []) {
    const cats = relevant(entry);
    if (cats.length === 0) continue;
    if (entry.reason === "not in the bundle") {
      absent.push(entry);
      continue;
    }
    const how = entry.reason.includes("needs root") ? " (needs root or sudo: true)" : "";
    const tool = entry.reason.startsWith("missing") ? toolOf(entry.collector) : undefined;
    parts.push(
      tool
        ? `${tool} is not installed: ${notChecked(cats)}`
        : `${shortName(entry.collector)} could not be read${how}: ${notChecked(cats)}`,
    );
  }
  const left = parts.length - 2;
  const more = left > 0 ? ` (and ${left} more gap${left === 1 ? "" : "s"})` : "";
  const said = parts.slice(0, 2);
  if (absent.length === 1 && absent[0])
    said.push(
      `${shortName(absent[0].collector)} is not in the bundle: ${notChecked(relevant(absent[0]))}`,
    );
  else if (absent.length > 1) {
    const cats = [...new Set(absent.flatMap(relevant))];
    const ids = absent.map((e) => e.collector);
    said.push(
      `${absent.length} outputs the ${report.symptom} plan reads are not in the bundle (${ids.slice(0, 4).join(", ")}${ids.length > 4 ? ", …" : ""}): ${notChecked(cats)}`,
    );
  }
  return said.length > 0 ? `${said.join("; ")}${more}` : undefined;
}
