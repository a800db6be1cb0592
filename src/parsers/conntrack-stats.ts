import { fields, ProblemLog } from "./lines.js";
import { type ParseResult, UnrecognisedOutputError } from "./types.js";

/**
 * Facts of the connection-tracking statistics, per CPU (collector `conntrack-stats`), from:
 * - `conntrack -S` (conntrack-tools):
 *   ```
 *   cpu=0   found=0 invalid=3 ignore=0 insert=0 insert_failed=12 drop=0 early_drop=0 error=0 search_restart=0
 *   ```
 *   Yields: `cpus[0].invalid = 3`, `totals.insert_failed = 12`.
 *   old versions add `searched=`, `new=`, `delete=`, `delete_list=`; new ones add
 *   `clash_resolve=` and `chaintoolong=`;
 * - /proc/net/stat/nf_conntrack, a header and one row of 8-digit hexadecimal numbers per CPU:
 *   ```
 *   entries  clashres found new invalid ignore delete chainlength insert insert_failed drop early_drop icmp_error  expect_new expect_create expect_delete search_restart
 *   0000002a  00000000 00000000 00000000 00000003 00000000 00000000 00000000 00000000 0000000c 00000000 00000000 00000000  00000000 00000000 00000000 00000000
 *   ```
 *   Yields: `entries = 42`, `totals.invalid = 3`, `totals.insert_failed = 12`.
 *   (old kernels: `searched` and `delete_list` instead of `clashres` and `chainlength`),
 *   optionally under a `==> path <==` marker; the rows are numbered from 0 as CPUs.
 *
 * The /proc names are mapped to conntrack -S's, so a rule reads one name: `icmp_error` →
 * `error`, `clashres` → `clash_resolve`, `chainlength` → `chaintoolong` (the kernel prints
 * the same counter under both names). `entries` (the table's size now, the same on every
 * row) is not summed. All counters are event counts since the module was loaded; the
 * interesting ones: `insert_failed` (an entry could not be inserted: a clash, e.g. the SNAT
 * port race), `drop` (packets dropped because the table was full), `early_drop` (entries
 * evicted to make room), `invalid`, `search_restart`.
 *
 * A marker with no rows (the module is not loaded) is valid: `loaded: false`.
 *
 * Source: conntrack(8); kernel `net/netfilter/nf_conntrack_standalone.c` (ct_cpu_seq_show)
 * and `nf_conntrack_netlink.c` (ctnetlink_cpu_stats).
 */
export interface ConntrackStatsFacts {
  /** False when only an empty /proc marker was read. */
  loaded: boolean;
  /** One row per CPU: `cpu` and every counter of the line. */
  cpus: Record<string, number>[];
  /** Sum of each counter over the CPUs (without `cpu` and `entries`). */
  totals: Record<string, number>;
  /** Entries in the table now (/proc only). */
  entries?: number;
}

const PROC_NAME: Record<string, string> = {
  icmp_error: "error",
  clashres: "clash_resolve",
  chainlength: "chaintoolong",
};

/**
 * Parses `conntrack -S` or /proc/net/stat/nf_conntrack (see {@link ConntrackStatsFacts}).
 * @throws UnrecognisedOutputError when neither format was found.
 */
export function parseConntrackStats(lines: Iterable<string>): ParseResult<ConntrackStatsFacts> {
  const problems = new ProblemLog();
  const cpus: Record<string, number>[] = [];
  let header: string[] | undefined;
  let marker = false;
  let entries: number | undefined;
  let procRow = 0;
  let n = 0;
  for (const line of lines) {
    n++;
    const trimmed = line.trim();
    if (trimmed === "") continue;
    if (/^==> .* <==$/.test(trimmed)) {
      marker = true;
      header = undefined;
      procRow = 0;
      continue;
    }
    const t = fields(trimmed);
    if (/^cpu=\d+$/.test(t[0]) && t.slice(1).every((x) => /^[a-z_]+=\d+$/.test(x))) {
      const row: Record<string, number> = {};
      for (const kv of t) {
        const [k, v] = kv.split("=");
        row[k] = Number(v);
      }
      cpus.push(row);
      continue;
    }
    if (t[0] === "entries" && t.length > 3 && t.every((x) => /^[a-z_]+$/.test(x))) {
      header = t.map((x) => PROC_NAME[x] ?? x);
      procRow = 0;
      continue;
    }
    if (header && t.length === header.length && t.every((x) => /^[0-9a-fA-F]+$/.test(x))) {
      const row: Record<string, number> = { cpu: procRow++ };
      header.forEach((name, i) => {
        const v = Number.parseInt(t[i], 16);
        if (name === "entries") entries = v;
        else row[name] = v;
      });
      cpus.push(row);
      continue;
    }
    problems.add(n, line, "not a conntrack -S or /proc/net/stat/nf_conntrack line");
  }
  if (cpus.length === 0 && !header && !marker) throw new UnrecognisedOutputError("conntrack-stats");
  const totals: Record<string, number> = {};
  for (const row of cpus) {
    for (const [k, v] of Object.entries(row)) {
      if (k !== "cpu") totals[k] = (totals[k] ?? 0) + v;
    }
  }
  const facts: ConntrackStatsFacts = {
    loaded: cpus.length > 0 || header !== undefined,
    cpus,
    totals,
  };
  if (entries !== undefined) facts.entries = entries;
  return { facts, problems: problems.list() };
}
