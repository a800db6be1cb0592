import { loadParser, sourceIds } from "../sources/index.js";

/**
 * Finds the parser that reads a text best, for output given without its command (a file, or
 * a block pasted without a prompt): every parser reads the first {@link SAMPLE_LINES} lines,
 * and the one with the most recognised lines and the fewest problems wins. A recognised line
 * is a non-blank line the parser did not report as a problem; the kernel log parser keeps
 * unstamped lines as kernel text, so for it only stamped lines or classified events count.
 */

const SAMPLE_LINES = 3000;

/** Ids that share another id's parser and cannot be told apart by content (PSI files do not print their resource). */
const ALIASES = new Set([
  "ss-listen",
  "df-inodes",
  "pressure-cpu",
  "pressure-io",
  "pressure-memory",
]);

/**
 * Parsers that read lines of many tools (`count name`, a single word, bare numbers) are only
 * chosen by content when the text also shows their tool's own words.
 */
const SIGNATURES: Record<string, RegExp> = {
  "perf-stat": /Performance counter stats|seconds time elapsed/,
  clocksource: /clocksource|^(?:tsc|hpet|acpi_pm|kvm-clock|xen|arch_sys_counter)(?: |$)/m,
  conntrack: /conntrack/,
  "conntrack-stats": /cpu=\d+\s+found=|conntrack/,
  "ethtool-stats": /NIC statistics:|^==> /m,
  "netstat-s": /^(?:Ip|Icmp|IcmpMsg|Tcp|Udp|UdpLite|TcpExt|IpExt|MPTcpExt):\s*$/m,
  nstat: /^#kernel|^(?:Ip|Tcp|Udp|TcpExt|Icmp)[A-Z]\w+\s+\d+/m,
  top: /^top - |^Tasks:|\bPID\s+USER\s+PR\b|\bPID\s+PPID\s+USER\b|^Load average:|^%?Cpu\(s\)/m,
  "file-nr": /file-nr|^\d+\s+0\s+\d+\s*$/m,
  "proc-stat": /^cpu\s+\d+/m,
  "nfs-client": /^rpc \d+ \d+ \d+\s*$/m,
  diskstats: /^\s*\d+\s+\d+\s+[a-z]\w*\s+\d+(?:\s+\d+){9,}/m,
  "bcc-execsnoop": /PCOMM\s+PID/,
  "bcc-tcpretrans": /LADDR:LPORT|RADDR:RPORT/,
  uname: /^Linux \S+ \d/m,
  "cgroup-pids": /pids|^max$/m,
  "cgroup-cpu": /nr_throttled|usage_usec|nr_periods/,
  "cgroup-memory": /oom_kill|under_oom|^max \d|failcnt/m,
  "proc-fds": /==>|fd/,
  "proc-limits": /Max open files|Soft Limit/,
  smartctl:
    /^smartctl (?:version )?\d|SMART overall-health|SMART Health Status:|^ID# +ATTRIBUTE_NAME/m,
};

export interface Best {
  id: string;
  /** How it was chosen, for `recognisedAs`. */
  why: string;
}

interface Score {
  id: string;
  recognised: number;
  problems: number;
}

/**
 * The parser that reads `lines` best, or undefined when none reads any line (`strict`: none
 * reads at least two lines with no more problems than recognised lines).
 */
export async function bestParser(
  lines: string[],
  options: { strict?: boolean } = {},
): Promise<Best | undefined> {
  const sample = lines.slice(0, SAMPLE_LINES);
  const filled = sample.filter((l) => l.trim() !== "").length;
  if (filled === 0) return undefined;
  const scores: Score[] = [];
  const text = sample.join("\n");
  for (const id of sourceIds()) {
    if (ALIASES.has(id) || (SIGNATURES[id] && !SIGNATURES[id].test(text))) continue;
    const s = await scoreOf(id, sample, filled);
    if (s) scores.push(s);
  }
  scores.sort(
    (a, b) =>
      b.recognised - b.problems - (a.recognised - a.problems) || b.recognised - a.recognised,
  );
  const top = scores[0];
  if (!top || top.recognised < 2) return undefined;
  if (top.problems > top.recognised * (options.strict ? 1 : 3)) return undefined;
  const next = scores[1] ? `; next best ${scores[1].id}, ${scores[1].recognised}` : "";
  return { id: top.id, why: `${top.recognised} of ${filled} lines recognised${next}` };
}

async function scoreOf(id: string, sample: string[], filled: number): Promise<Score | undefined> {
  const parser = (await loadParser(id))!;
  try {
    const { facts, problems } = parser(sample);
    let recognised = Math.max(0, filled - problems.length);
    if (id === "dmesg") recognised = kernelLines(facts, sample);
    return { id, recognised, problems: problems.length };
  } catch {
    return undefined;
  }
}

/** Stamps of the kernel log formats the dmesg parser reads (printk, ctime, ISO, syslog). */
const STAMPED =
  /^\s*(?:<\d>)?\[\s*\d+\.\d+\]|^\[\w{3} \w{3} [ \d]\d |^\d{4}-\d\d-\d\dT\d\d:\d\d|^\w{3} [ \d]\d \d\d:\d\d:\d\d \S+ kernel:|^\S*\s*kernel: /;

/** Stamped kernel log lines or classified events: what shows a text is a kernel log. */
function kernelLines(facts: unknown, sample: string[]): number {
  const events = (facts as { events?: unknown[] }).events?.length ?? 0;
  return Math.max(events, sample.filter((l) => STAMPED.test(l)).length);
}
