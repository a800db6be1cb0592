import { readFileSync } from "node:fs";
import { beforeAll, describe, expect, it } from "vitest";
import { derive } from "../../src/derive/index.js";
import { rising, wallMs } from "../../src/derive/kernel-log.js";
import type { DerivedFacts, ParsedEntry } from "../../src/derive/types.js";
import { counter } from "../../src/derive/util.js";
import { evaluateRunbooks } from "../../src/engine/rank.js";
import { linesOf } from "../../src/parsers/lines.js";
import { lintRunbooks } from "../../src/runbooks/load.js";
import type { Runbook } from "../../src/runbooks/schema.js";
import { loadParser } from "../../src/sources/index.js";
import { fixturePath } from "../helpers/fixtures.js";

/**
 * The derive layer end to end on small outputs: real parsers, then derive, then (where it
 * matters) the packaged rules. Covers ages of kernel events, rates over the window against
 * since-boot totals, and the cross-collector facts that decide remediation.
 */

type Outputs = Record<string, string | { out: string; start: string }>;

async function derived(outputs: Outputs, windowSeconds?: number): Promise<DerivedFacts> {
  const parsed = new Map<string, ParsedEntry>();
  for (const [id, text] of Object.entries(outputs)) {
    const parser = await loadParser(id);
    if (!parser) throw new Error(`no parser for ${id}`);
    if (typeof text === "string") {
      parsed.set(id, { facts: parser(linesOf(text)).facts });
    } else {
      parsed.set(id, {
        facts: parser(linesOf(text.out)).facts,
        start: parser(linesOf(text.start)).facts,
      });
    }
  }
  return derive(parsed, { windowSeconds });
}

function fact(d: DerivedFacts, path: string): unknown {
  let node: unknown = d.tree;
  for (const k of path.split(".")) node = (node as Record<string, unknown> | undefined)?.[k];
  return node;
}

let runbooks: Runbook[];
beforeAll(() => {
  runbooks = lintRunbooks(fixturePath("../../runbooks")).runbooks;
});

const kill = (t: number, pid: number, comm: string, rssKb: number) =>
  `[${t.toFixed(6)}] Out of memory: Killed process ${pid} (${comm}) total-vm:${rssKb * 2}kB, anon-rss:${rssKb}kB, file-rss:0kB, shmem-rss:0kB, UID:0 pgtables:100kB oom_score_adj:0`;

describe("SYN flood messages", () => {
  it("counts the floods whose SYNs were dropped (cookies off) apart from those answered with cookies", async () => {
    // Wordings of net/ipv4/tcp_input.c tcp_syn_flood_action: 5.x and later (address:port), 4.x (port).
    const log = [
      "[ 2100.000001] TCP: request_sock_TCP: Possible SYN flooding on port 0.0.0.0:443. Sending cookies.  Check SNMP counters.",
      "[ 2100.500000] TCP: request_sock_TCPv6: Possible SYN flooding on port [::]:443. Dropping request.  Check SNMP counters.",
      "[ 2101.000000] TCP: Possible SYN flooding on port 8080. Dropping request.  Check SNMP counters.",
    ].join("\n");
    const d = await derived({ dmesg: log, uptime: "2200.00 4000.00\n" });
    expect(fact(d, "net.log.syn_flood")).toBe(3);
    expect(fact(d, "net.log.syn_flood_dropping")).toBe(2);
    const quiet = await derived({ dmesg: "[ 1.000000] Linux version 6.1.0\n" });
    expect(fact(quiet, "net.log.syn_flood")).toBe(0);
    expect(fact(quiet, "net.log.syn_flood_dropping")).toBeUndefined();
  });
});

describe("kernel log ages", () => {
  const log = [
    kill(2000, 11, "app", 1_000_000),
    "[ 2500.000000] e1000e 0000:00:19.0 eth0: NIC Link is Up 1000 Mbps Full Duplex",
  ].join("\n");

  it("an OOM kill older than the look-back is history, with a note", async () => {
    const d = await derived({ dmesg: log, uptime: "10000.00 20000.00\n" });
    expect(fact(d, "oom.events")).toBe(0);
    expect(fact(d, "log.history_events")).toBeGreaterThanOrEqual(1);
    expect(d.notes.join("\n")).toMatch(
      /older than 60 min \(oldest 2 h ago\) .* history, not the current cause/,
    );
  });

  it("the same kill within the look-back is current", async () => {
    const d = await derived({ dmesg: log, uptime: "3000.00 6000.00\n" });
    expect(fact(d, "oom.events")).toBe(1);
    expect(fact(d, "oom.victim")).toBe("app");
  });

  it("a log that goes past /proc/uptime is of another boot: the newest line dates it", async () => {
    const d = await derived({ dmesg: log, uptime: "300.00 600.00\n" });
    expect(fact(d, "oom.events")).toBe(1);
  });

  it("without /proc/uptime, ages are measured from the newest line", async () => {
    const d = await derived({ dmesg: log });
    expect(fact(d, "oom.events")).toBe(1);
    expect(d.notes.join("\n")).toMatch(/measured from its newest line/);
    const old = await derived({
      dmesg: [kill(100, 11, "app", 1_000_000), "[ 9000.000000] eth0: NIC Link is Up"].join("\n"),
    });
    expect(fact(old, "oom.events")).toBe(0);
  });

  it("an event without a stamp counts as current", async () => {
    const d = await derived({ dmesg: kill(0, 11, "app", 1000).replace(/^\[[^\]]*\] /, "") });
    expect(fact(d, "oom.kills")).toBe(1);
  });

  it("wall-clock stamps without a year", () => {
    expect(wallMs("--02-23T03:28:16")).toBe(Date.UTC(2000, 1, 23, 3, 28, 16));
    expect(wallMs("2023-01-31T22:48:54")).toBe(Date.UTC(2023, 0, 31, 22, 48, 54));
    expect(wallMs("nonsense")).toBeUndefined();
  });
});

describe("memory leak across OOM kills", () => {
  it("the same command killed with rising RSS is a leak, and earlier kills give the trend", async () => {
    const log = [
      kill(1000, 11, "app", 1_000_000),
      kill(3000, 12, "app", 1_400_000),
      kill(9000, 13, "app", 1_900_000),
    ].join("\n");
    const d = await derived({ dmesg: log, uptime: "9100.00 1.00\n" });
    expect(fact(d, "oom.kills")).toBe(1);
    expect(fact(d, "oom.repeat_kills")).toBe(3);
    expect(fact(d, "oom.repeat_rss_rising")).toBe(true);
    expect(fact(d, "oom.repeat_rss_growth_pct")).toBe(90);
    const { hypotheses } = evaluateRunbooks(runbooks, d, new Set(["dmesg", "uptime"]), "memory");
    expect(hypotheses[0].rule).toBe("memory-leak-repeated-kills");
    expect(hypotheses[0].title).toBe(
      "app leaks memory: killed 3 times by the OOM killer, larger each time (+90 %)",
    );
    expect(hypotheses.find((h) => h.rule === "memory-oom")?.explainedBy).toBe(
      "memory-leak-repeated-kills",
    );
  });

  it("kills at the same size are not growth", () => {
    expect(rising([1000, 1010, 990])).toBe(false);
    expect(rising([1000, 1200, 1190, 1500])).toBe(true);
    expect(rising([1000, 2000, 1000, 2100])).toBe(false);
  });
});

describe("hung tasks", () => {
  const jbd2 = [
    "[5359680.372082] INFO: task jbd2/sda1-8:103 blocked for more than 120 seconds.",
    '[5359680.372096] "echo 0 > /proc/sys/kernel/hung_task_timeout_secs" disables this message.',
    "[5359680.372103] jbd2/sda1-8     D    0   103      2 0x00000000",
    "[5359680.372151] Call Trace:",
    "[5359680.372163]  __schedule+0x2a2/0x8a0",
    "[5359680.372170]  schedule+0x28/0x80",
    "[5359680.372175]  jbd2_journal_commit_transaction+0x25a/0x1800",
    "[5359680.372180]  kjournald2+0xb6/0x280",
  ].join("\n");

  it("the journal thread blocked is a writeback stall", async () => {
    const d = await derived({ dmesg: jbd2 });
    expect(fact(d, "hung.tasks")).toBe(1);
    expect(fact(d, "hung.in_writeback")).toBe(1);
    expect(fact(d, "hung.on_network_fs")).toBe(0);
    const { hypotheses } = evaluateRunbooks(runbooks, d, new Set(["dmesg"]), "hang");
    expect(hypotheses.map((h) => h.category)).toEqual(["dirty-writeback-stall", "hung-task"]);
  });

  // An x86 NFS client (net/sunrpc/clnt.c and kernel/hung_task.c wordings, 4.x stack format).
  const nfsHang = (okAt: number) =>
    [
      "[ 1200.100000] nfs: server filer1 not responding, still trying",
      `[${okAt.toFixed(6).padStart(12)}] nfs: server filer1 OK`,
      "[ 1600.000000] INFO: task rsync:4242 blocked for more than 120 seconds.",
      "[ 1600.000100]       Not tainted 4.19.0-25-amd64 #1 Debian 4.19.289-2",
      "[ 1600.000200] Call Trace:",
      "[ 1600.000300]  __schedule+0x2a2/0x870",
      "[ 1600.000400]  schedule+0x28/0x80",
      "[ 1600.000500]  io_schedule+0x12/0x40",
      "[ 1600.000600]  wait_on_page_bit_common+0x114/0x1f0",
      "[ 1600.000700]  __filemap_fdatawait_range+0xd4/0x130",
      "[ 1600.000800]  filemap_write_and_wait_range+0x4b/0x90",
      "[ 1600.000900]  nfs_file_fsync+0x44/0x1e0 [nfs]",
      "[ 1600.001000]  do_fsync+0x38/0x70",
    ].join("\n");

  it("a task that began to wait in NFS after the server answered contradicts the server story", async () => {
    const d = await derived({ dmesg: nfsHang(1201.5) });
    expect(fact(d, "hung.on_network_fs")).toBe(1);
    expect(fact(d, "nfs.recovered")).toBe(true);
    expect(fact(d, "hung.nfs_after_server_ok")).toBe(1);
    const { hypotheses } = evaluateRunbooks(runbooks, d, new Set(["dmesg"]), "hang");
    expect(hypotheses[0]?.rule).toBe("nfs-hang-server-answering");
    expect(hypotheses[0]?.category).toBe("kernel-bug");
  });

  it("a wait that began before the server answered is explained by the outage", async () => {
    // blocked for at least 120 s at 1600: waiting since 1480 or earlier, the OK came at 1590
    const d = await derived({ dmesg: nfsHang(1590) });
    expect(fact(d, "hung.nfs_after_server_ok")).toBe(0);
    const { hypotheses } = evaluateRunbooks(runbooks, d, new Set(["dmesg"]), "hang");
    expect(hypotheses.some((h) => h.rule === "nfs-hang-server-answering")).toBe(false);
  });
});

describe("clocksource", () => {
  // The boot of a VM that turns the TSC off on its kernel command line (tsc=unstable).
  const boot = [
    "[    0.076180] tsc: Marking TSC unstable due to boot parameter",
    "[    0.270684] clocksource: Switched to clocksource kvm-clock",
  ].join("\n");
  const watchdog = [
    "[335323.734091] clocksource: timekeeping watchdog on CPU5: Marking clocksource 'tsc' as unstable because the skew is too large:",
    "[335323.808733] tsc: Marking TSC unstable due to clocksource watchdog",
    "[335323.813890] clocksource: Switched to clocksource hpet",
  ].join("\n");

  it("a TSC turned off by the tsc=unstable boot parameter is a choice, not a clock finding", async () => {
    const d = await derived({ dmesg: boot });
    expect(fact(d, "clock.unstable")).toBeUndefined();
    expect(d.notes.some((n) => n.includes("tsc=unstable boot parameter"))).toBe(true);
    const { hypotheses } = evaluateRunbooks(runbooks, d, new Set(["dmesg"]), "latency");
    expect(hypotheses.filter((h) => h.category === "clock-skew")).toEqual([]);
  });

  it("a TSC the watchdog rejected is a finding, weaker when the clock left is read in the vDSO", async () => {
    const onHpet = await derived({ dmesg: watchdog });
    expect(fact(onHpet, "clock.unstable")).toBe("tsc");
    expect(fact(onHpet, "clock.slow")).toBe(true);
    const onKvm = await derived({ dmesg: watchdog.replace(/hpet$/, "kvm-clock") });
    expect(fact(onKvm, "clock.slow")).toBe(false);
    const confidence = (d: DerivedFacts) =>
      evaluateRunbooks(runbooks, d, new Set(["dmesg"]), "latency").hypotheses.find(
        (h) => h.rule === "clocksource-unstable",
      )?.confidence;
    expect(confidence(onHpet)).toBeCloseTo(0.8);
    expect(confidence(onKvm)).toBeCloseTo(0.4);
  });
});

describe("repeated OOM kills", () => {
  const memcgKill = (t: number, pid: number, cgroup: string) =>
    [
      `[${t.toFixed(6)}] oom-kill:constraint=CONSTRAINT_MEMCG,nodemask=(null),cpuset=/,mems_allowed=0,oom_memcg=${cgroup},task_memcg=${cgroup},task=python3,pid=${pid},uid=0`,
      `[${t.toFixed(6)}] Memory cgroup out of memory: Killed process ${pid} (python3) total-vm:278720kB, anon-rss:65152kB, file-rss:6640kB, shmem-rss:0kB, UID:0 pgtables:196kB oom_score_adj:0`,
    ].join("\n");

  it("counts one program: the same command in the same cgroup, not the same name elsewhere", async () => {
    const apart = await derived({
      dmesg: [memcgKill(2000, 101, "/job-a"), memcgKill(2400, 202, "/job-b")].join("\n"),
      uptime: "2500.00 1.00\n",
    });
    expect(fact(apart, "oom.repeat_kills")).toBe(1);
    expect(fact(apart, "oom.repeat_command")).toBeUndefined();
    const restarted = await derived({
      dmesg: [memcgKill(2000, 101, "/svc"), memcgKill(2400, 202, "/svc")].join("\n"),
      uptime: "2500.00 1.00\n",
    });
    expect(fact(restarted, "oom.repeat_kills")).toBe(2);
    expect(fact(restarted, "oom.repeat_command")).toBe("python3");
    expect(restarted.excerpts.get("oom.repeat_kills")).toContain("2 OOM kills of python3 in /svc");
  });

  it("gives no share of RAM without meminfo", async () => {
    const d = await derived({ dmesg: memcgKill(2000, 101, "/svc"), uptime: "2500.00 1.00\n" });
    expect(fact(d, "oom.victim_pct_of_ram")).toBeUndefined();
  });
});

describe("pids controller", () => {
  it("cites the newest refused fork, the one whose cgroup the finding names", async () => {
    const d = await derived({
      dmesg: [
        "[ 2375.560638] cgroup: fork rejected by pids controller in /batch-1",
        "[ 2854.105868] cgroup: fork rejected by pids controller in /batch-2",
      ].join("\n"),
      uptime: "2900.00 1.00\n",
    });
    expect(fact(d, "pids.log.fork_rejected")).toBe(2);
    expect(fact(d, "pids.log.cgroup")).toBe("/batch-2");
    const { hypotheses } = evaluateRunbooks(runbooks, d, new Set(["dmesg", "uptime"]), "errors");
    const pids = hypotheses.find((h) => h.category === "pids-exhaustion");
    expect(pids?.title).toContain("/batch-2");
    expect(pids?.evidence.map((e) => e.excerpt).join("\n")).toContain("/batch-2");
    expect(pids?.evidence.map((e) => e.excerpt).join("\n")).not.toContain("/batch-1");
    // Cited kernel log lines carry their age: 2900 s of uptime − 2854.1 s.
    expect(d.excerpts.get("pids.log.cgroup")).toMatch(/\/batch-2 {2}\(46 s ago\)$/);
  });
});

describe("counters over the window", () => {
  const nstat = (out: number, re: number, ovf: number) =>
    `#kernel\nTcpOutSegs ${out} 0.0\nTcpRetransSegs ${re} 0.0\nTcpExtListenOverflows ${ovf} 0.0\n`;

  it("two snapshots give rates and window mode", async () => {
    const d = await derived(
      { nstat: { start: nstat(100000, 1000, 10), out: nstat(110000, 1500, 60) } },
      5,
    );
    expect(d.mode).toBe("window");
    expect(fact(d, "net.tcp.since_boot")).toBe(false);
    expect(fact(d, "net.tcp.retrans_pct")).toBe(5);
    expect(fact(d, "net.listen.overflows")).toBe(50);
    expect(fact(d, "net.listen.overflows_per_s")).toBe(10);
    expect(fact(d, "window.seconds")).toBe(5);
  });

  it("one snapshot is judged since boot, and says so", async () => {
    const d = await derived({ nstat: nstat(110000, 1500, 60) });
    expect(d.mode).toBe("since-boot");
    expect(fact(d, "window.mode")).toBe("since-boot");
    expect(fact(d, "net.tcp.since_boot")).toBe(true);
    expect(fact(d, "net.listen.overflows_per_s")).toBeUndefined();
    expect(d.notes.join("\n")).toMatch(/nstat was read once/);
  });

  it("a counter that went backwards gives no rate", () => {
    expect(counter(5, 10, 5)).toBeUndefined();
    expect(counter(15, 10, 5)).toEqual({ mode: "window", delta: 5, per_s: 1 });
    expect(counter(15, undefined, 5)).toEqual({ mode: "since-boot", delta: 15 });
  });

  it("NIC drops over the window", async () => {
    const eth = (missed: number, pkts: number) =>
      `NIC statistics:\n     rx_packets: ${pkts}\n     rx_missed_errors: ${missed}\n`;
    const d = await derived(
      { "ethtool-stats": { start: eth(100, 1_000_000), out: eth(600, 1_100_000) } },
      5,
    );
    expect(fact(d, "nic.since_boot")).toBe(false);
    expect(fact(d, "nic.rx_drops")).toBe(500);
    expect(fact(d, "nic.rx_drops_per_s")).toBe(100);
    expect(fact(d, "nic.rx_drop_pct")).toBeCloseTo(0.5, 1);
  });
});

describe("limits that decide remediation", () => {
  it("listen backlog: the application's backlog below somaxconn", async () => {
    const ss =
      "State  Recv-Q Send-Q Local Address:Port Peer Address:Port\nLISTEN 512    511    0.0.0.0:8080       0.0.0.0:*\n";
    const d = await derived({ "ss-listen": ss, sysctl: "net.core.somaxconn = 4096\n" });
    expect(fact(d, "net.listen.worst.backlog")).toBe(511);
    expect(fact(d, "net.listen.backlog_capped_by")).toBe("application");
    const { hypotheses } = evaluateRunbooks(
      runbooks,
      d,
      new Set(["ss-listen", "sysctl"]),
      "latency",
    );
    expect(hypotheses[0].rule).toBe("network-listen-overflow");
    expect(hypotheses[0].remediation[0]).toMatch(
      /application's own listen\(\) backlog \(511\) is below net\.core\.somaxconn \(4096\)/,
    );
  });

  it("open files: which limit caps a process", async () => {
    const fds = "PID NFDS SOFT HARD COMM\n812 1021 1024 4096 router\n";
    const d = await derived({
      "proc-fds": fds,
      sysctl: "fs.nr_open = 1048576\nfs.file-max = 2097152\n",
    });
    expect(fact(d, "fd.proc.use_pct")).toBeCloseTo(99.7, 1);
    expect(fact(d, "fd.capped_by")).toBe("soft");
    const same = await derived({ "proc-fds": "PID NFDS SOFT HARD COMM\n9 4090 4096 4096 db\n" });
    expect(fact(same, "fd.capped_by")).toBe("hard");
  });

  it("ephemeral ports: one destination using most of the range", async () => {
    const rows = Array.from(
      { length: 30 },
      (_, i) => `tcp   TIME-WAIT 0 0 10.0.0.1:${40000 + i} 10.0.0.9:5432`,
    );
    const d = await derived({
      "ss-tcp": `Netid State Recv-Q Send-Q Local Address:Port Peer Address:Port\n${rows.join("\n")}\n`,
      sysctl: "net.ipv4.ip_local_port_range = 40000\t40031\n",
    });
    expect(fact(d, "net.sockets.top_dest")).toBe("10.0.0.9:5432");
    expect(fact(d, "net.sockets.top_dest_pct_of_ports")).toBeCloseTo(93.75, 1);
  });
});

describe("fd facts seen without root", () => {
  it("say how many processes the fd check could not read", async () => {
    const text = readFileSync(
      fixturePath("proc-fds/vm-debian12-k6.18__proc-fds-nonroot.txt"),
      "utf8",
    );
    const d = await derived({ "proc-fds": text });
    expect(d.notes.join("\n")).toMatch(
      /proc-fds: \d+ of \d+ processes could not be read: they belong to other users/,
    );
  });
});
