import { describe, expect, it } from "vitest";
import { parseOutputs } from "../../src/engine/parse-outputs.js";
import { COLLECTORS } from "../../src/sources/collectors.js";
import { readFixture } from "../helpers/fixtures.js";
import { fixtureByCollector, readText } from "./helpers.js";

/**
 * Every collector id, pasted the ways people paste: the repository's own fixtures (real tool
 * output, licensed in test/fixtures/NOTICE) behind the prompts, fences, markup and damage seen
 * in real tickets and chats. Each paste must be read as its collector and parse.
 */

/** The command a person types for each collector's output. */
const TYPED: Record<string, string> = {
  uname: "uname -a",
  uptime: "uptime",
  dmesg: "dmesg -T",
  iostat: "iostat -x 1 3",
  "ss-summary": "ss -s",
  "ss-listen": "ss -ltn",
  "ss-tcp": "ss -tani",
  nstat: "nstat -az",
  "netstat-s": "netstat -s",
  vmstat: "vmstat 1 5",
  mpstat: "mpstat -P ALL 1 3",
  pidstat: "pidstat -hdlrsuw",
  free: "free -w",
  meminfo: "cat /proc/meminfo",
  "pressure-cpu": "cat /proc/pressure/cpu",
  "pressure-memory": "cat /proc/pressure/memory",
  "pressure-io": "cat /proc/pressure/io",
  df: "df -h",
  "df-inodes": "df -i",
  sysctl: "sysctl -a",
  "file-nr": "cat /proc/sys/fs/file-nr",
  diskstats: "cat /proc/diskstats",
  top: "top -b -n 1",
  "cgroup-cpu": "cat /sys/fs/cgroup/system.slice/cpu.stat",
  "cgroup-memory": "cat /sys/fs/cgroup/system.slice/memory.events",
  "cgroup-pids": "cat /sys/fs/cgroup/user.slice/pids.max",
  "perf-stat": "perf stat -a -- sleep 5",
  "perf-sched": "perf sched latency",
  "perf-report": "perf report --stdio",
  strace: "strace -f -p 1234",
  conntrack: "cat /proc/sys/net/netfilter/nf_conntrack_count",
  sar: "sar -A",
  "netstat-conn": "netstat -tan",
  sockstat: "cat /proc/net/sockstat",
  "nfs-client": "cat /proc/net/rpc/nfs",
  "proc-stat": "cat /proc/stat",
  "proc-limits": "cat /proc/1234/limits",
  "ethtool-stats": "ethtool -S eth0",
  "conntrack-stats": "conntrack -S",
  "deleted-open-files": "lsof +L1",
  clocksource: "cat /sys/devices/system/clocksource/clocksource0/current_clocksource",
  "open-files": "lsof -n",
  iotop: "iotop -b -o -n 3",
  "bcc-runqlat": "runqlat-bpfcc",
  "bcc-biolatency": "biolatency-bpfcc -D -T",
  "bcc-tcpretrans": "tcpretrans-bpfcc",
  "bcc-execsnoop": "execsnoop-bpfcc -t -x",
  "chronyc-tracking": "chronyc -n tracking",
  smartctl: "smartctl -a /dev/sda",
  "ras-mc-ctl": "sudo ras-mc-ctl --summary",
};

/** Outputs of diagbot's own scripts, which nobody types: not read from pastes. */
const NOT_TYPED = new Set(["proc-fds", "edac", "scsi-ioerr"]);

const esc = (t: string) =>
  t.replaceAll("&", "&amp;").replaceAll("<", "&lt;").replaceAll(">", "&gt;");

/** The shapes of pastes (learned from real tickets, chats, blogs and mailing lists). */
const SHAPES: [string, (cmd: string, out: string) => string][] = [
  [
    "dollar prompt in a fence",
    (c, o) => `Here is what I see:\n\n\`\`\`\n$ ${c}\n${o}\n\`\`\`\n\nAny idea?\n`,
  ],
  ["[root@h ~]# prompt, no fence", (c, o) => `[root@web1 ~]# ${c}\n${o}\n[root@web1 ~]# `],
  ["SUSE h:~ # prompt with CRLF", (c, o) => `web1:~ # ${c}\n${o}\n`.replaceAll("\n", "\r\n")],
  [
    "user@host:~$ with ANSI colours",
    (c, o) => `\x1b[01;32muser@web1\x1b[00m:\x1b[01;34m~\x1b[00m$ ${c}\n${o}\n`,
  ],
  [
    "HTML code block with entities",
    (c, o) => `<p>Output:</p><pre><code><span>$ </span>${esc(c)}\n${esc(o)}\n</code></pre>`,
  ],
  [
    "Slack quote with entities",
    (c, o) =>
      `${`$ ${c}\n${o}`
        .split("\n")
        .map((l) => `&gt; ${esc(l)}`)
        .join("\n")}\n`,
  ],
  [
    "venv-prefixed root@h# prompt in a bash fence",
    (c, o) => `\`\`\`bash\n(venv) root@a1b2c3# ${c}\n${o}\n\`\`\`\n`,
  ],
  ["h$ prompt with sudo", (c, o) => `web1$ sudo ${c}\n${o}\nweb1$ exit\n`],
];

describe("pasted transcripts: every collector id in the shapes people paste", () => {
  const fixtures = fixtureByCollector();
  const ids = COLLECTORS.map((c) => c.id).filter((id) => !NOT_TYPED.has(id));

  it("knows a typed command for every collector id", () => {
    for (const id of ids) expect(TYPED[id], id).toBeDefined();
  });

  ids.forEach((id, i) => {
    const [shape, wrap] = SHAPES[i % SHAPES.length];
    it(`${id}: ${shape}`, async () => {
      const file = fixtures.get(id);
      expect(file, `a fixture of ${id}`).toBeDefined();
      const out = readFixture(file!).replace(/\n$/, "").split("\n").slice(0, 400).join("\n");
      const read = await readText(wrap(TYPED[id], out));
      const got = read.outputs.find((o) => o.id === id);
      expect(
        got,
        `${id} not read; got ${read.outputs.map((o) => o.id)}; ignored ${read.ignored}`,
      ).toBeDefined();
      expect(got!.recognisedAs).toMatch(/^pasted /);
      const { records } = await parseOutputs([got!]);
      expect(records[0].status, records[0].error).toBe("ok");
    });
  });
});

describe("pipelines, partial outputs and counts", () => {
  it("reads a grep as a partial output and says so", async () => {
    const read = await readText(
      "$ ss -tan | grep ESTAB\nESTAB 0 0 10.0.0.1:22 10.0.0.2:5000\nESTAB 0 0 10.0.0.1:22 10.0.0.3:5001\n",
    );
    const ss = read.outputs.find((o) => o.id === "ss-tcp");
    expect(ss?.partial).toBe(true);
    expect(read.notes.join("\n")).toMatch(/ss-tcp: the paste holds only part of its output/);
    const { records } = await parseOutputs([ss!]);
    expect(records[0]).toMatchObject({ status: "ok", partial: true });
  });

  it("keeps a count with its command and filter", async () => {
    const read = await readText("# ss -tan | grep TIME-WAIT | wc -l\n28231\n");
    expect(read.counts).toEqual([
      { command: "ss -tan", filter: "grep TIME-WAIT | wc -l", value: 28231, collector: "ss-tcp" },
    ]);
    expect(read.notes).toContain("pasted count: `ss -tan | grep TIME-WAIT | wc -l` = 28231");
  });

  it("takes a count from a comment or from after a broken fence", async () => {
    expect(
      (await readText("lsof -u root | grep / | wc -l #prints '1738'\n\nprose\n")).counts[0].value,
    ).toBe(1738);
    expect(
      (await readText("``\nlsof -c pd | wc -l\n```\nwhich shows:\n\n```\n93\n```\n")).counts[0]
        .value,
    ).toBe(93);
  });

  it("does not read an output that went through awk '{print …}' or uniq -c, and says why", async () => {
    const read = await readText(
      "root@server [~]# netstat -natp | awk '{print $6}' | sort | uniq -c\n   10 CLOSING\n 1036 ESTABLISHED\n",
    );
    expect(read.outputs).toEqual([]);
    expect(read.ignored.join("\n")).toMatch(/changes its lines/);
  });

  it("reads cat of /proc/sys and /sys values and sysctl KEY lines as sysctl", async () => {
    const read = await readText(
      "$ cat /proc/sys/net/core/somaxconn\n4096\n$ sysctl vm.swappiness\nvm.swappiness = 60\n$ cat /sys/kernel/mm/transparent_hugepage/enabled\nalways [madvise] never\n",
    );
    const sysctl = read.outputs.find((o) => o.id === "sysctl")!;
    const { parsed } = await parseOutputs([sysctl]);
    const facts = parsed.get("sysctl")!.facts as {
      net_core_somaxconn: number;
      vm_swappiness: number;
      values: Record<string, string>;
    };
    expect(facts.net_core_somaxconn).toBe(4096);
    expect(facts.vm_swappiness).toBe(60);
    expect(facts.values["sys.kernel.mm.transparent_hugepage.enabled"]).toBe(
      "always [madvise] never",
    );
  });

  it("reads ulimit -a and -n", async () => {
    const read = await readText(
      "[host]$ ulimit -n\n1024\n[host]$ ulimit -a\ncore file size          (blocks, -c) 0\nopen files                      (-n) 65535\nmax user processes              (-u) unlimited\n",
    );
    const { parsed } = await parseOutputs(read.outputs);
    const limits = (
      parsed.get("ulimit")!.facts as { limits: Record<string, { value: number | null }> }
    ).limits;
    expect(limits.max_open_files.value).toBe(65535);
    expect(limits.max_processes.value).toBeNull();
  });

  it("reads /proc/zoneinfo and /proc/vmstat of this machine", async () => {
    const { readFileSync } = await import("node:fs");
    const text = `$ cat /proc/zoneinfo\n${readFileSync("/proc/zoneinfo", "utf8")}$ cat /proc/vmstat\n${readFileSync("/proc/vmstat", "utf8")}`;
    const { parsed, records } = await parseOutputs((await readText(text)).outputs);
    expect(records.map((r) => r.status)).toEqual(["ok", "ok"]);
    expect((parsed.get("zoneinfo")!.facts as { zones: unknown[] }).zones.length).toBeGreaterThan(0);
    expect(
      (parsed.get("proc-vmstat")!.facts as { counters: Record<string, number> }).counters
        .nr_free_pages,
    ).toBeGreaterThan(0);
  });

  it("strips a log reader's date and facility tag before the kernel log parser", async () => {
    const read = await readText(
      "root@OpenWrt:~# logread\nMon Dec  7 01:02:03 2026 kern.err kernel: [ 1234.567890] Out of memory: Killed process 1234 (dnsmasq) total-vm:2000kB, anon-rss:1000kB, file-rss:0kB, shmem-rss:0kB, UID:0 pgtables:12kB oom_score_adj:0\nMon Dec  7 01:02:04 2026 daemon.info dnsmasq[1]: started\n",
    );
    const { parsed } = await parseOutputs(read.outputs);
    expect(
      (parsed.get("dmesg")!.facts as { counts: Record<string, number> }).counts["oom-kill"],
    ).toBe(1);
  });

  it("synthesises the header of rows pasted without it", async () => {
    const read = await readText(
      "$ top -b -n1 | tail -2\n 2729 work      20   0 5740m 468m  10m S 47.3  0.7  11473:56 hhvm_bin\n29603 work      20   0 5904m 472m  10m R 47.3  0.7  11563:30 hhvm_bin\n" +
        "$ df -h | grep /var\n/dev/sda3        50G   49G  1.0G  98% /var\n",
    );
    const { records, parsed } = await parseOutputs(read.outputs);
    expect(records.map((r) => [r.id, r.status])).toEqual([
      ["top", "ok"],
      ["df", "ok"],
    ]);
    expect(JSON.stringify(parsed.get("df")!.facts)).toContain("/var");
  });

  it("never takes a host name from a prompt", async () => {
    const read = await readText(
      "[root@db-prod-7 ~]# uptime\n 10:55:22 up 40 days, 21:17,  1 user,  load average: 0.49, 0.12, 0.04\n",
    );
    expect(read.host).toBeUndefined();
    expect(JSON.stringify(read.outputs.map((o) => o.recognisedAs))).not.toContain("db-prod-7");
  });
});
