#!/usr/bin/env node
/**
 * Generates the realistic, large command outputs the parse benchmarks read, into a directory
 * outside the repository (never committed). Deterministic: the same seed gives the same bytes.
 *
 *   node bench/parse/generate.js [DIR]        (default: $TMPDIR/diagbot-bench)
 *
 * Files (sizes as the issue asks for them):
 * - `ss-tuna.out`  `ss -tuna`, 300 000 sockets (tcp and udp, IPv4 and IPv6, every state), ~22 MB
 * - `iostat-x.out` `iostat -x 1 1500` (sysstat 12 columns), 64 devices x 1500 reports, ~21 MB
 * - `ss-tin.out`   `ss -tin`, 100 000 sockets, each with its `-i` detail line, ~39 MB
 * - `dmesg.out`    plain `dmesg`, 1 000 000 lines with OOM reports, hung tasks, I/O errors,
 *                  link changes, segfaults and SYN floods among the ordinary noise, ~85 MB
 *
 * The layouts are those of the real tools: ss pads its columns to one width over the whole
 * output (iproute2 >= 4.15 renders the table at the end), iostat right-aligns its values.
 */
import { createWriteStream, mkdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** mulberry32: small, fast, seeded. */
function prng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Writes lines through a buffered stream, honouring back-pressure. */
async function writeLines(path, produce) {
  const out = createWriteStream(path);
  let buf = [];
  let size = 0;
  const flush = async () => {
    if (buf.length === 0) return;
    const chunk = buf.join("");
    buf = [];
    size = 0;
    if (!out.write(chunk)) await new Promise((r) => out.once("drain", r));
  };
  for (const line of produce()) {
    buf.push(line, "\n");
    size += line.length;
    if (size > 1 << 20) await flush();
  }
  await flush();
  await new Promise((resolve, reject) => out.end((err) => (err ? reject(err) : resolve())));
}

const pick = (rnd, list) => list[Math.floor(rnd() * list.length)];
const int = (rnd, lo, hi) => lo + Math.floor(rnd() * (hi - lo + 1));
const fixed = (v, d = 2) => v.toFixed(d);

// --- ss --------------------------------------------------------------------------------------

function ipv4(rnd, net) {
  return `${net}.${int(rnd, 0, 255)}.${int(rnd, 1, 254)}`;
}

function ipv6(rnd) {
  const h = () => int(rnd, 0, 0xffff).toString(16);
  return rnd() < 0.5 ? `fd00:${h()}::${h()}` : `::ffff:10.0.${int(rnd, 0, 3)}.${int(rnd, 1, 30)}`;
}

/** ss's column layout: Netid 5, State 9, Recv-Q 6, Send-Q 6, local right-aligned, peer left. */
function ssLine(netid, state, rq, sq, local, peer, widths) {
  const head = netid === undefined ? "" : `${netid.padEnd(5)} `;
  return `${head}${state.padEnd(widths.state)} ${String(rq).padEnd(6)} ${String(sq).padEnd(6)} ${local.padStart(widths.local)} ${peer.padEnd(widths.peer)} `;
}

function* ssTuna(count) {
  const rnd = prng(42);
  const widths = { state: 10, local: 22, peer: 23 };
  yield `Netid State     Recv-Q Send-Q ${"Local Address:Port".padStart(widths.local)} ${"Peer Address:Port".padEnd(widths.peer)}Process`;
  const listeners = [22, 80, 443, 3306, 5432, 6379, 8080, 9100];
  for (const port of listeners) {
    yield ssLine("tcp", "LISTEN", 0, 4096, `0.0.0.0:${port}`, "0.0.0.0:*", widths);
    yield ssLine("tcp", "LISTEN", 0, 4096, `[::]:${port}`, "[::]:*", widths);
  }
  yield ssLine("udp", "UNCONN", 0, 0, "127.0.0.53%lo:53", "0.0.0.0:*", widths);
  yield ssLine("udp", "UNCONN", 0, 0, "0.0.0.0:68", "0.0.0.0:*", widths);
  const states = [
    ["ESTAB", 0.62],
    ["TIME-WAIT", 0.85],
    ["SYN-RECV", 0.88],
    ["CLOSE-WAIT", 0.92],
    ["FIN-WAIT-2", 0.95],
    ["SYN-SENT", 0.97],
    ["LAST-ACK", 1],
  ];
  for (let i = listeners.length * 2 + 2; i < count; i++) {
    const r = rnd();
    if (r < 0.04) {
      const local = `10.0.${int(rnd, 0, 3)}.${int(rnd, 1, 30)}:${int(rnd, 32768, 60999)}`;
      yield ssLine("udp", "ESTAB", 0, 0, local, `${ipv4(rnd, "10.53")}:53`, widths);
      continue;
    }
    const x = rnd();
    const state = states.find(([, p]) => x < p)[0];
    const v6 = rnd() < 0.1;
    const port = pick(rnd, listeners);
    const local = v6
      ? `[${ipv6(rnd)}]:${port}`
      : `10.0.${int(rnd, 0, 3)}.${int(rnd, 1, 30)}:${port}`;
    const peer = v6
      ? `[${ipv6(rnd)}]:${int(rnd, 1024, 65535)}`
      : `${ipv4(rnd, "172.16")}:${int(rnd, 1024, 65535)}`;
    const rq = state === "ESTAB" && rnd() < 0.1 ? int(rnd, 1, 65536) : 0;
    const sq = state === "ESTAB" && rnd() < 0.2 ? int(rnd, 1, 2_000_000) : 0;
    yield ssLine("tcp", state, rq, sq, local, peer, widths);
  }
}

/** Human rate as old ss prints it (`sprint_bw`): `231.7Mbps`, `1.2Gbps`, `800bps`. */
function humanRate(bps) {
  if (bps > 1e9) return `${(bps / 1e9).toFixed(1)}Gbps`;
  if (bps > 1e6) return `${(bps / 1e6).toFixed(1)}Mbps`;
  if (bps > 1e3) return `${(bps / 1e3).toFixed(1)}Kbps`;
  return `${bps}bps`;
}

/**
 * One `-i` detail line: half in the iproute2 4.x layout (fewer fields, rates as `231.7Mbps`),
 * half in the 5.x/6.x layout (pmtu, bytes_sent, delivery_rate, busy, rates as plain `bps`
 * numbers), with a retransmitting minority.
 */
function tcpInfo(rnd) {
  const modern = rnd() < 0.5;
  const cc = rnd() < 0.85 ? "cubic" : "bbr";
  const rtt = rnd() * 40 + 0.05;
  const cwnd = int(rnd, 2, 120);
  const acked = int(rnd, 100, 5e7);
  const segsOut = int(rnd, 10, 4e4);
  const retrans = rnd() < 0.08 ? int(rnd, 1, 400) : 0;
  const rate = int(rnd, 1e6, 5e10);
  const fmt = modern ? (v) => `${v}bps` : humanRate;
  const parts = [
    `\t ${cc} wscale:7,7 rto:${int(rnd, 201, 1200)} rtt:${fixed(rtt, 3)}/${fixed(rtt / 2, 3)} ato:40`,
    `mss:1448${modern ? " pmtu:1500 rcvmss:536 advmss:1448" : ""} cwnd:${cwnd}`,
  ];
  if (retrans > 0) parts.push(`ssthresh:${int(rnd, 7, 200)}`);
  if (modern) parts.push(`bytes_sent:${acked + retrans * 1448}`);
  parts.push(
    `bytes_acked:${acked} bytes_received:${int(rnd, 100, 1e6)} segs_out:${segsOut} segs_in:${int(rnd, 10, 4e4)}`,
  );
  if (modern) parts.push(`data_segs_out:${segsOut - 2} data_segs_in:${int(rnd, 1, 2e4)}`);
  if (cc === "bbr" && modern)
    parts.push(`bbr:(bw:${int(rnd, 1e5, 1e9)}bps,mrtt:${fixed(rtt * 0.6, 3)})`);
  parts.push(`send ${fmt(rate)} lastsnd:${int(rnd, 0, 9e4)} lastrcv:${int(rnd, 0, 9e4)}`);
  parts.push(`pacing_rate ${fmt(rate * 2)}`);
  if (modern) parts.push(`delivery_rate ${fmt(int(rnd, 1e5, 5e9))} delivered:${segsOut - 1}`);
  if (modern && rnd() < 0.4) parts.push("app_limited");
  if (modern) parts.push(`busy:${int(rnd, 1, 9e4)}ms`);
  if (retrans > 0) {
    parts.push(`unacked:${int(rnd, 1, cwnd)} retrans:${rnd() < 0.3 ? 1 : 0}/${retrans}`);
    if (rnd() < 0.2) parts.push("lost:1");
  }
  parts.push(`rcv_space:${int(rnd, 14480, 6e5)}`);
  if (modern) parts.push(`rcv_ssthresh:${int(rnd, 64088, 3e5)}`);
  parts.push(`minrtt:${fixed(rtt * 0.5, 3)}`);
  return parts.join(" ");
}

function* ssTin(count) {
  const rnd = prng(7);
  const widths = { state: 5, local: 22, peer: 23 };
  yield `State Recv-Q Send-Q ${"Local Address:Port".padStart(widths.local)} ${"Peer Address:Port".padEnd(widths.peer)}Process`;
  for (let i = 0; i < count; i++) {
    const v6 = rnd() < 0.1;
    const local = v6 ? `[${ipv6(rnd)}]:443` : `10.0.${int(rnd, 0, 3)}.${int(rnd, 1, 30)}:443`;
    const peer = v6
      ? `[${ipv6(rnd)}]:${int(rnd, 1024, 65535)}`
      : `${ipv4(rnd, "172.16")}:${int(rnd, 1024, 65535)}`;
    const rq = rnd() < 0.1 ? int(rnd, 1, 65536) : 0;
    const sq = rnd() < 0.2 ? int(rnd, 1, 2_000_000) : 0;
    yield ssLine(undefined, "ESTAB", rq, sq, local, peer, widths);
    yield tcpInfo(rnd);
  }
}

// --- iostat ----------------------------------------------------------------------------------

const IOSTAT_COLUMNS = [
  "r/s",
  "rkB/s",
  "rrqm/s",
  "%rrqm",
  "r_await",
  "rareq-sz",
  "w/s",
  "wkB/s",
  "wrqm/s",
  "%wrqm",
  "w_await",
  "wareq-sz",
  "d/s",
  "dkB/s",
  "drqm/s",
  "%drqm",
  "d_await",
  "dareq-sz",
  "f/s",
  "f_await",
  "aqu-sz",
  "%util",
];

function* iostatX(devices, reports) {
  const rnd = prng(3);
  const names = [];
  for (let i = 0; i < devices; i++) {
    if (i < 16) names.push(`nvme${i}n1`);
    else if (i < 40) names.push(`sd${String.fromCharCode(97 + ((i - 16) % 26))}`);
    else names.push(`dm-${i - 40}`);
  }
  const width = 16;
  yield "Linux 6.1.0-28-amd64 (db-7.example.net) \t11/30/2026 \t_x86_64_\t(64 CPU)";
  yield "";
  for (let rep = 0; rep < reports; rep++) {
    const busy = rnd();
    const user = busy * 60;
    const sys = busy * 12;
    const iowait = rnd() * 20;
    yield "avg-cpu:  %user   %nice %system %iowait  %steal   %idle";
    yield `       ${[user, 0.01, sys, iowait, 0, Math.max(0, 100 - user - sys - iowait - 0.01)]
      .map((v) => fixed(v).padStart(8))
      .join("")}`;
    yield "";
    yield `${"Device".padEnd(width)}${IOSTAT_COLUMNS.map((c) => c.padStart(8)).join(" ")}`;
    for (const name of names) {
      const r = rnd() * 3000;
      const w = rnd() * 5000;
      const rk = r * (4 + rnd() * 60);
      const wk = w * (4 + rnd() * 120);
      const vals = [
        r,
        rk,
        rnd() * 10,
        rnd() * 5,
        rnd() * 8,
        r > 0 ? rk / r : 0,
        w,
        wk,
        rnd() * 300,
        rnd() * 40,
        rnd() * 30,
        w > 0 ? wk / w : 0,
        0,
        0,
        0,
        0,
        0,
        0,
        rnd() * 20,
        rnd() * 2,
        rnd() * 40,
        Math.min(100, rnd() * 110),
      ];
      yield `${name.padEnd(width)}${vals.map((v) => fixed(v).padStart(8)).join(" ")}`;
    }
    yield "";
  }
}

// --- dmesg -----------------------------------------------------------------------------------

const NOISE = [
  'audit: type=1400 audit(1764496800.123:4521): apparmor="ALLOWED" operation="open" profile="snap.lxd" name="/proc/" pid=2211',
  "IPv6: ADDRCONF(NETDEV_CHANGE): veth%h: link becomes ready",
  "br-01ab23cd: port %p(veth%h) entered forwarding state",
  "br-01ab23cd: port %p(veth%h) entered disabled state",
  "device veth%h entered promiscuous mode",
  "EXT4-fs (dm-%p): mounted filesystem with ordered data mode. Quota mode: none.",
  "systemd-journald[%n]: Received client request to flush runtime journal.",
  "usb 1-%p: new high-speed USB device number %p using xhci_hcd",
  "nf_conntrack: default automatic helper assignment has been turned off for security reasons",
  "cgroup: fork rejected by pids controller in /kubepods.slice/kubepods-pod%h.slice",
  "perf: interrupt took too long (%n > %n), lowering kernel.perf_event_max_sample_rate to 79750",
  "x86/split lock detection: #AC: crashing the kernel on kernel split_locks and warning on user-space split_locks",
  "docker0: port %p(veth%h) entered blocking state",
  "TCP: request_sock_TCP: Possible SYN flooding on port 0.0.0.0:443. Sending cookies.",
  "mlx5_core 0000:3b:00.%p eth%p: Link up",
  "mlx5_core 0000:3b:00.%p eth%p: Link down",
  "kauditd_printk_skb: %p callbacks suppressed",
];

function fill(rnd, template) {
  return template
    .replace(/%h/g, () => int(rnd, 0, 0xffffff).toString(16))
    .replace(/%p/g, () => String(int(rnd, 0, 9)))
    .replace(/%n/g, () => String(int(rnd, 100, 99999)));
}

function* oomReport(rnd, stamp) {
  const pid = int(rnd, 1000, 4_000_000);
  const name = pick(rnd, ["java", "postgres", "mo-service", "node", "python3"]);
  const rss = int(rnd, 1e6, 9e7);
  yield stamp(
    `${name} invoked oom-killer: gfp_mask=0x140cca(GFP_HIGHUSER_MOVABLE|__GFP_COMP), order=0, oom_score_adj=0`,
  );
  yield stamp(
    `CPU: ${int(rnd, 0, 63)} PID: ${pid} Comm: ${name} Not tainted 6.1.0-28-amd64 #1 Debian 6.1.119-1`,
  );
  yield stamp("Call Trace:");
  for (const f of [
    "dump_stack_lvl+0x44/0x5c",
    "dump_header+0x4a/0x211",
    "oom_kill_process.cold+0xb/0x10",
    "out_of_memory+0x1ed/0x530",
    "__alloc_pages_slowpath.constprop.0+0xcb1/0xd90",
  ]) {
    yield stamp(` ${f}`);
  }
  yield stamp("Mem-Info:");
  yield stamp(
    `active_anon:${int(rnd, 1e5, 9e6)} inactive_anon:${int(rnd, 1e5, 9e6)} isolated_anon:0`,
  );
  yield stamp("Tasks state (memory values in pages):");
  yield stamp("[  pid  ]   uid  tgid total_vm      rss pgtables_bytes swapents oom_score_adj name");
  for (let t = 0; t < 12; t++) {
    yield stamp(
      `[${String(int(rnd, 100, 4e6)).padStart(7)}] ${String(int(rnd, 0, 1000)).padStart(5)} ${String(int(rnd, 100, 4e6)).padStart(5)} ${String(int(rnd, 1e3, 3e7)).padStart(8)} ${String(int(rnd, 1e2, 2e7)).padStart(8)} ${String(int(rnd, 1e4, 2e8)).padStart(8)} ${String(0).padStart(8)} ${String(0).padStart(13)} ${pick(rnd, ["sshd", "java", "node", "systemd"])}`,
    );
  }
  yield stamp(
    `oom-kill:constraint=CONSTRAINT_NONE,nodemask=(null),cpuset=/,mems_allowed=0-1,global_oom,task_memcg=/system.slice/${name}.service,task=${name},pid=${pid},uid=1028`,
  );
  yield stamp(
    `Out of memory: Killed process ${pid} (${name}) total-vm:${rss + 5000}kB, anon-rss:${rss}kB, file-rss:88kB, shmem-rss:0kB, UID:1028 pgtables:${int(rnd, 1000, 200000)}kB oom_score_adj:0`,
  );
}

function* dmesg(lineCount) {
  const rnd = prng(11);
  let t = 0;
  let n = 0;
  const stamp = (msg) => {
    t += rnd() * 0.5;
    return `[${t.toFixed(6).padStart(12)}] ${msg}`;
  };
  yield stamp(
    "Linux version 6.1.0-28-amd64 (debian-kernel@lists.debian.org) (gcc-12 (Debian 12.2.0-14) 12.2.0, GNU ld (GNU Binutils for Debian) 2.40) #1 SMP PREEMPT_DYNAMIC Debian 6.1.119-1 (2024-11-22)",
  );
  n++;
  while (n < lineCount) {
    const r = rnd();
    let lines;
    if (r < 0.0004) lines = [...oomReport(rnd, stamp)];
    else if (r < 0.0008) {
      const task = pick(rnd, ["jbd2/dm-0-8", "kworker/u128:2", "postgres"]);
      lines = [
        stamp(`INFO: task ${task}:${int(rnd, 100, 99999)} blocked for more than 120 seconds.`),
        stamp("      Not tainted 6.1.0-28-amd64 #1 Debian 6.1.119-1"),
        stamp('"echo 0 > /proc/sys/kernel/hung_task_timeout_secs" disables this message.'),
        stamp(
          `task:${task.padEnd(15)} state:D stack:0     pid:${int(rnd, 100, 99999)}  ppid:2      flags:0x00004000`,
        ),
        stamp("Call Trace:"),
        stamp(" <TASK>"),
        stamp(" __schedule+0x34d/0x9e0"),
        stamp(" schedule+0x5a/0xd0"),
        stamp(" io_schedule+0x42/0x70"),
        stamp(" jbd2_journal_commit_transaction+0x2fd/0x1a40 [jbd2]"),
        stamp(" </TASK>"),
      ];
    } else if (r < 0.0015) {
      const dev = `sd${String.fromCharCode(97 + int(rnd, 0, 5))}`;
      lines = [
        stamp(
          `blk_update_request: I/O error, dev ${dev}, sector ${int(rnd, 1, 2e9)} op 0x0:(READ) flags 0x0 phys_seg 1 prio class 0`,
        ),
        stamp(
          `Buffer I/O error on dev ${dev}1, logical block ${int(rnd, 1, 2e8)}, async page read`,
        ),
      ];
    } else if (r < 0.003) {
      lines = [
        stamp(
          `${pick(rnd, ["node", "python3", "ruby"])}[${int(rnd, 100, 4e6)}]: segfault at ${int(rnd, 0, 0xffff).toString(16)} ip 00007f3a${int(rnd, 0x1000, 0xffff).toString(16)}c2 sp 00007ffd${int(rnd, 0x1000, 0xffff).toString(16)}10 error 4 in libc.so.6[7f3a5c228000+195000] likely on CPU ${int(rnd, 0, 63)} (core ${int(rnd, 0, 31)}, socket 0)`,
        ),
      ];
    } else {
      lines = [stamp(fill(rnd, pick(rnd, NOISE)))];
    }
    for (const l of lines) {
      if (n++ >= lineCount) break;
      yield l;
    }
  }
}

// --- main ------------------------------------------------------------------------------------

export const INPUTS = {
  "ss-tuna.out": () => ssTuna(300_000),
  "iostat-x.out": () => iostatX(64, 1500),
  "ss-tin.out": () => ssTin(100_000),
  "dmesg.out": () => dmesg(1_000_000),
};

export function defaultDir() {
  return join(process.env.TMPDIR || tmpdir(), "diagbot-bench");
}

/** Writes every input into `dir`; returns their paths. */
export async function generate(dir = defaultDir(), only = Object.keys(INPUTS)) {
  mkdirSync(dir, { recursive: true });
  const paths = {};
  for (const name of only) {
    const path = join(dir, name);
    await writeLines(path, INPUTS[name]);
    paths[name] = path;
  }
  return paths;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const dir = process.argv[2] ?? defaultDir();
  const paths = await generate(dir);
  for (const p of Object.values(paths)) process.stdout.write(`${p}\n`);
}
