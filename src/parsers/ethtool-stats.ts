import { ProblemLog } from "./lines.js";
import { type ParseResult, UnrecognisedOutputError } from "./types.js";

/** The NIC counters of one interface. */
export interface EthtoolInterface {
  /** Every counter the driver printed, name → value (names are the driver's own). */
  counters: Record<string, number>;
  /**
   * The counters with a name part that starts with drop, miss, err, fifo, no_buf / nobuf,
   * discard or out_of_buffer (`rx_missed_errors`, `rx_no_buffer_count`, `rx_fifo_errors`, `tx_dropped`,
   * `rx_discards_phy`, `port.rx_dropped`, …), zero or not.
   */
  drop_counters: Record<string, number>;
  /** Sum of `drop_counters` (packets and events of different kinds added: a "how much" hint). */
  drop_counters_total: number;
  /** What ethtool said instead of statistics (`no stats available`, `Operation not supported`). */
  error?: string;
  /** The driver, from a `driver: NAME` line of `ethtool -i IFACE` in the section. */
  driver?: string;
}

/**
 * Facts of `ethtool -S` (collector `ethtool-stats`, one `==> IFACE <==` section per
 * interface; a single pasted `ethtool -S eth0` takes its name from the prompt line when there
 * is one, else the name `unknown`).
 *
 * ```
 * ==> eth0 <==
 * NIC statistics:
 *      rx_packets: 123456
 *      rx_missed_errors: 12
 *      rx_no_buffer_count: 0
 * ```
 * Yields: `interfaces.eth0.counters.rx_missed_errors = 12`, `drop_counters_total = 12`.
 * Yields: `worst.counter = "rx_missed_errors"`.
 *
 * Counters are driver-specific and count since the driver was loaded (or the interface was
 * reset): judge them over a window. `rx_missed_errors` / `rx_no_buffer_count` /
 * `rx_fifo_errors` / `*_discards_phy` usually mean the NIC's ring was full because the host
 * did not drain it in time (ring size, interrupt/softirq CPU). Marker paths like
 * `/sys/class/net/eth0` are reduced to the interface name. ethtool's `--all-groups` "…
 * stats for IFACE:" headings are accepted. A `driver: NAME` line (`ethtool -i`) sets `driver`.
 *
 * vmxnet3 prints one block per queue under the same names, each opened by a `Tx Queue#: N` or
 * `Rx Queue#: N` line and indented deeper than it: a counter of such a block is named
 * `Rx Queue#N: NAME` (`Rx Queue#0: pkts rx OOB`); the block ends at a line indented no deeper
 * than its opening line (`tx timeout count`). Source: drivers/net/vmxnet3/vmxnet3_ethtool.c
 * (vmxnet3_tq_dev_stats, vmxnet3_rq_dev_stats, vmxnet3_global_stats).
 *
 * Source: ethtool(8) (`-S`, ETHTOOL_GSTATS); the kernel's
 * Documentation/networking/statistics.rst (driver-specific statistics).
 */
export interface EthtoolStatsFacts {
  interfaces: Record<string, EthtoolInterface>;
  /** Sum of `drop_counters_total` over the interfaces. */
  drop_counters_total: number;
  /** The largest drop counter of any interface (absent when all are 0). */
  worst?: { interface: string; counter: string; value: number };
}

const DROPS = /(^|[_.-])(drop|miss|err|fifo|no_?buf|discard|out_of_buffer)/i;
const COUNTER = /^(\S(?:.*\S)?):\s+(\d+)$/;
const QUEUE = /^(Tx|Rx) Queue#$/;

/** A vmxnet3 queue block: its name prefix and the indentation of its opening line. */
interface QueueBlock {
  prefix: string;
  indent: number;
}

/**
 * Parses `ethtool -S` output for one or several interfaces (see {@link EthtoolStatsFacts}).
 * @throws UnrecognisedOutputError when no interface marker and no counter line was found.
 */
export function parseEthtoolStats(lines: Iterable<string>): ParseResult<EthtoolStatsFacts> {
  const problems = new ProblemLog();
  const interfaces: Record<string, EthtoolInterface> = {};
  let current: EthtoolInterface | undefined;
  let queue: QueueBlock | undefined;
  let found = false;
  let n = 0;
  const open = (name: string): EthtoolInterface => {
    interfaces[name] ??= { counters: {}, drop_counters: {}, drop_counters_total: 0 };
    return interfaces[name];
  };
  for (const line of lines) {
    n++;
    const trimmed = line.trim();
    if (trimmed === "") continue;
    const marker = /^==> (.*) <==$/.exec(trimmed);
    if (marker) {
      const name = marker[1].trim().replace(/\/+$/, "").split("/").pop() || marker[1];
      current = open(name);
      queue = undefined;
      found = true;
      continue;
    }
    const prompt = /ethtool\s+(?:-S|--statistics)\s+([\w.:@-]+)/.exec(trimmed);
    if (prompt && !COUNTER.test(trimmed)) {
      current = open(prompt[1]);
      problems.add(n, line, "shell prompt (interface name taken from it)");
      continue;
    }
    if (/^NIC statistics:$/.test(trimmed) || /^\S.* stats for \S+:$/.test(trimmed)) {
      current ??= open("unknown");
      found = true;
      continue;
    }
    const m = COUNTER.exec(trimmed);
    if (m) {
      current ??= open("unknown");
      const value = Number(m[2]);
      const indent = line.length - line.trimStart().length;
      if (queue && indent <= queue.indent) queue = undefined;
      const q = QUEUE.exec(m[1]);
      if (q) {
        queue = { prefix: `${q[1]} Queue#${value}: `, indent };
        found = true;
        continue;
      }
      const name = queue ? queue.prefix + m[1] : m[1];
      current.counters[name] = value;
      if (DROPS.test(m[1])) {
        current.drop_counters[name] = value;
        current.drop_counters_total += value;
      }
      found = true;
      continue;
    }
    const driver = /^driver:\s+(\S+)$/.exec(trimmed);
    if (current && driver) {
      current.driver = driver[1];
      continue;
    }
    if (current && /no stats available|not supported|Cannot get|No such device/i.test(trimmed)) {
      current.error = trimmed;
      continue;
    }
    problems.add(n, line, "not an ethtool -S line");
  }
  if (!found) throw new UnrecognisedOutputError("ethtool-stats");
  const facts: EthtoolStatsFacts = { interfaces, drop_counters_total: 0 };
  for (const [name, nic] of Object.entries(interfaces)) {
    facts.drop_counters_total += nic.drop_counters_total;
    for (const [counter, value] of Object.entries(nic.drop_counters)) {
      if (value > 0 && (!facts.worst || value > facts.worst.value)) {
        facts.worst = { interface: name, counter, value };
      }
    }
  }
  return { facts, problems: problems.list() };
}
