import { ProblemLog } from "./lines.js";
import { sectionsOf } from "./sections.js";
import { type ParseResult, UnrecognisedOutputError } from "./types.js";

/**
 * Facts of the connection-tracking table size (collector `conntrack`), from any of:
 * - the collector's script, one `==> path <==` section per file, empty when the file is
 *   absent:
 *   ```
 *   ==> /proc/sys/net/netfilter/nf_conntrack_count <==
 *   1234
 *   ==> /proc/sys/net/netfilter/nf_conntrack_max <==
 *   262144
 *   ```
 *   Yields: `count = 1234`, `max = 262144`, `used_pct = 0.47`.
 *   (old kernels: /proc/sys/net/ipv4/netfilter/ip_conntrack_count and _max);
 * - `sysctl net.netfilter.nf_conntrack_count net.netfilter.nf_conntrack_max` (also
 *   `net.nf_conntrack_max`), including its `cannot stat ... No such file` errors;
 * - two bare numbers, count then max (`cat` of the two files, `conntrack -C` alone).
 *
 * A host without the nf_conntrack module has none of these files: the markers alone are
 * valid output and give `loaded: false`.
 *
 * Source: the kernel's Documentation/networking/nf_conntrack-sysctl.rst.
 */
export interface ConntrackFacts {
  /** True when the table's count or max could be read (the module is loaded). */
  loaded: boolean;
  /** Entries in the table now. */
  count?: number;
  /** nf_conntrack_max: the table's limit; new connections are dropped ("table full") at it. */
  max?: number;
  /** count / max * 100. */
  used_pct?: number;
  /** nf_conntrack_buckets (hash table size), when read. */
  buckets?: number;
}

function which(name: string): "count" | "max" | "buckets" | undefined {
  if (/conntrack_count$/.test(name)) return "count";
  if (/conntrack_max$/.test(name)) return "max";
  if (/conntrack_buckets$/.test(name)) return "buckets";
  return undefined;
}

/**
 * Parses conntrack count/max output (see {@link ConntrackFacts}).
 * @throws UnrecognisedOutputError when nothing of these formats was found.
 */
export function parseConntrack(lines: Iterable<string>): ParseResult<ConntrackFacts> {
  const problems = new ProblemLog();
  const values: { count?: number; max?: number; buckets?: number } = {};
  const bare: number[] = [];
  let found = false;
  for (const section of sectionsOf(lines)) {
    const target = section.path === "" ? undefined : which(section.path.trim());
    if (section.path !== "") found = true;
    section.lines.forEach((line, i) => {
      const n = section.firstLine + i;
      const trimmed = line.trim();
      if (trimmed === "") return;
      const m = /^([\w.]+)\s*[=:]\s*(\d+)$/.exec(trimmed);
      if (m && which(m[1])) {
        values[which(m[1])!] = Number(m[2]);
        found = true;
        return;
      }
      if (/^\d+$/.test(trimmed)) {
        if (target) values[target] = Number(trimmed);
        else if (section.path === "") bare.push(Number(trimmed));
        else problems.add(n, line, "a number under an unknown file");
        found = true;
        return;
      }
      if (
        /(cannot stat|cannot open|No such file).*conntrack|conntrack.*No such file/i.test(trimmed)
      ) {
        found = true;
        return;
      }
      problems.add(n, line, "not a conntrack count/max line");
    });
  }
  if (bare.length > 0 && values.count === undefined) values.count = bare[0];
  if (bare.length > 1 && values.max === undefined) values.max = bare[1];
  if (!found) throw new UnrecognisedOutputError("conntrack");
  const facts: ConntrackFacts = {
    loaded: values.count !== undefined || values.max !== undefined,
    ...values,
  };
  if (values.count !== undefined && values.max !== undefined && values.max > 0) {
    facts.used_pct = Math.round((values.count / values.max) * 10000) / 100;
  }
  return { facts, problems: problems.list() };
}
