import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { parseDmesg } from "../../src/parsers/dmesg.js";
import { parseCut, parseText, RUNS, truncateLastLine } from "./render.js";

/**
 * Kernel logs: generated events among ordinary messages, with the stamps of plain `dmesg`,
 * `dmesg -T`, `dmesg --time-format iso`, `dmesg -x`, `journalctl -k` and `dmesg -t`. Each
 * event is written from the kernel's own format string (the source is named by each).
 */

const NOISE = [
  "usb 1-1: new high-speed USB device number 2 using xhci_hcd",
  "random: crng init done",
  'audit: type=1400 audit(1764496800.123:4521): apparmor="ALLOWED" operation="open" pid=2211',
  "br-01ab23cd: port 1(veth1a2b3c) entered forwarding state",
  "kauditd_printk_skb: 12 callbacks suppressed",
  "device veth9f8e7d entered promiscuous mode",
  "Bluetooth: Core ver 2.22",
];

const comm = fc.constantFrom("java", "postgres", "node", "python3", "nginx", "kworker/u8:2");
const pid = fc.integer({ min: 1, max: 4_194_304 });
const hexAddr = fc.bigInt({ min: 0n, max: 2n ** 48n }).map((n) => n.toString(16));

/** An event: its message line(s) and the facts it must give. */
type Event = { lines: readonly string[]; kind: string | null; facts: Record<string, unknown> };

const event: fc.Arbitrary<Event> = fc.oneof(
  {
    weight: 6,
    arbitrary: fc.constantFrom(...NOISE).map((m) => ({ lines: [m], kind: null, facts: {} })),
  },
  // arch/x86/mm/fault.c show_signal_msg
  fc
    .record({
      comm: comm.filter((c) => !c.includes("/")),
      pid,
      addr: hexAddr,
      ip: hexAddr,
      err: fc.integer({ min: 4, max: 7 }),
    })
    .map((e) => ({
      lines: [
        `${e.comm}[${e.pid}]: segfault at ${e.addr} ip ${e.ip.padStart(16, "0")} sp 00007ffd5c2e1a10 error ${e.err} in libc.so.6[7f3a5c228000+195000]`,
      ],
      kind: "segfault",
      facts: {
        process: e.comm,
        pid: e.pid,
        fault_address: e.addr,
        ip: e.ip.padStart(16, "0"),
        error: String(e.err),
        object: "libc.so.6",
      },
    })),
  // net/ipv4/tcp_input.c tcp_syn_flood_action (5.x+ with the address, older without)
  fc
    .record({
      port: fc.integer({ min: 1, max: 65535 }),
      address: fc.option(fc.constantFrom("0.0.0.0", "[::]", "10.0.0.5"), { nil: undefined }),
      cookies: fc.boolean(),
    })
    .map((e) => ({
      lines: [
        `TCP: ${e.address ? "request_sock_TCP: " : ""}Possible SYN flooding on port ${e.address ? `${e.address}:` : ""}${e.port}. ${e.cookies ? "Sending cookies" : "Dropping request"}.  Check SNMP counters.`,
      ],
      kind: "syn-flood",
      facts: {
        port: e.port,
        action: e.cookies ? "cookies" : "dropping",
        ...(e.address ? { address: e.address } : {}),
      },
    })),
  // net/netfilter/nf_conntrack_core.c
  fc.constant({
    lines: ["nf_conntrack: nf_conntrack: table full, dropping packet"],
    kind: "conntrack-full",
    facts: {},
  }),
  // drivers/net/ethernet/intel/e1000e: `%s NIC Link is Down`; phylib `Link is Up - 1Gbps/Full`
  fc
    .record({
      iface: fc.constantFrom("eth0", "eno1", "enp3s0f1"),
      up: fc.boolean(),
      phy: fc.boolean(),
    })
    .map((e) => ({
      lines: [
        e.phy
          ? `${e.iface}: Link is ${e.up ? "Up - 1Gbps/Full - flow control rx/tx" : "Down"}`
          : `e1000e: ${e.iface} NIC Link is ${e.up ? "Up 1000 Mbps Full Duplex, Flow Control: Rx/Tx" : "Down"}`,
      ],
      kind: "nic-link",
      facts: { interface: e.iface, state: e.up ? "up" : "down" },
    })),
  // mm/oom_kill.c __oom_kill_process
  fc
    .record({
      pid,
      comm,
      vm: fc.integer({ min: 0, max: 2 ** 40 }),
      rss: fc.integer({ min: 0, max: 2 ** 40 }),
      uid: fc.integer({ min: 0, max: 65534 }),
      adj: fc.integer({ min: -1000, max: 1000 }),
    })
    .map((e) => ({
      lines: [
        `Out of memory: Killed process ${e.pid} (${e.comm}) total-vm:${e.vm}kB, anon-rss:${e.rss}kB, file-rss:88kB, shmem-rss:0kB, UID:${e.uid} pgtables:1024kB oom_score_adj:${e.adj}`,
      ],
      kind: "oom-kill",
      facts: {
        pid: e.pid,
        process: e.comm,
        total_vm_kb: e.vm,
        anon_rss_kb: e.rss,
        uid: e.uid,
        oom_score_adj: e.adj,
      },
    })),
  // kernel/hung_task.c check_hung_task
  fc.record({ comm, pid, secs: fc.integer({ min: 1, max: 100_000 }) }).map((e) => ({
    lines: [
      `INFO: task ${e.comm}:${e.pid} blocked for more than ${e.secs} seconds.`,
      "      Not tainted 6.1.0-28-amd64 #1 Debian 6.1.119-1",
      '"echo 0 > /proc/sys/kernel/hung_task_timeout_secs" disables this message.',
    ],
    kind: "hung-task",
    facts: { task: e.comm, pid: e.pid, blocked_s: e.secs },
  })),
);

const STAMPS = ["monotonic", "ctime", "iso", "decode", "journal", "none"] as const;
const BASIS: Record<(typeof STAMPS)[number], string> = {
  monotonic: "monotonic",
  decode: "monotonic",
  ctime: "wallclock",
  iso: "wallclock",
  journal: "wallclock",
  none: "none",
};
const DAYS = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];

const run = fc.record({
  stamps: fc.constantFrom(...STAMPS),
  events: fc.array(event, { minLength: 0, maxLength: 25 }),
  start: fc.integer({ min: 0, max: 10_000_000 }), // microseconds since boot
  steps: fc.array(fc.integer({ min: 0, max: 3_000_000 }), { minLength: 60, maxLength: 60 }),
  truncate: fc.option(fc.double({ min: 0, max: 0.999, noNaN: true }), { freq: 5, nil: undefined }),
});

describe("dmesg: generated kernel logs parse back to their events", () => {
  it("every classified event with its fields and stamp, the counts and the time basis", () => {
    fc.assert(
      fc.property(run, (g) => {
        const out: string[] = [
          "Linux version 6.1.0-28-amd64 (debian-kernel@lists.debian.org) #1 SMP PREEMPT_DYNAMIC Debian 6.1.119-1",
        ];
        let us = g.start;
        let step = 0;
        const stamp = (msg: string): { line: string; t_s?: number; wallclock?: string } => {
          us += g.steps[step++ % g.steps.length];
          const t = us / 1e6;
          const sec = Math.floor(us / 1e6) % 60;
          const min = Math.floor(us / 6e7) % 60;
          const clock = `10:${String(min).padStart(2, "0")}:${String(sec).padStart(2, "0")}`;
          const mono = `[${t.toFixed(6).padStart(12)}]`;
          switch (g.stamps) {
            case "monotonic":
              return { line: `${mono} ${msg}`, t_s: Number(t.toFixed(6)) };
            case "decode":
              return { line: `kern  :warn  : ${mono} ${msg}`, t_s: Number(t.toFixed(6)) };
            case "ctime":
              return {
                line: `[${DAYS[1]} Nov 30 ${clock} 2026] ${msg}`,
                wallclock: `2026-11-30T${clock}`,
              };
            case "iso":
              return {
                line: `2026-11-30T${clock},${String(us % 1e6).padStart(6, "0")}+00:00 ${msg}`,
                wallclock: `2026-11-30T${clock}.${String(us % 1e6).padStart(6, "0")}+00:00`,
              };
            case "journal":
              return { line: `Nov 30 ${clock} db-7 kernel: ${msg}`, wallclock: `--11-30T${clock}` };
            default:
              return { line: msg };
          }
        };
        out[0] = stamp(out[0]).line;
        const expected: Record<string, unknown>[] = [];
        const counts: Record<string, number> = {};
        let maxT: number | undefined;
        for (const e of g.events) {
          const first = out.length + 1;
          let when: { t_s?: number; wallclock?: string } = {};
          e.lines.forEach((m, i) => {
            const s = stamp(m);
            out.push(s.line);
            if (i === 0) when = { t_s: s.t_s, wallclock: s.wallclock };
            if (s.t_s !== undefined) maxT = Math.max(maxT ?? 0, s.t_s);
          });
          if (e.kind === null) continue;
          counts[e.kind] = (counts[e.kind] ?? 0) + 1;
          const stamp0 = Object.fromEntries(
            Object.entries(when).filter(([, v]) => v !== undefined),
          );
          expected.push({ kind: e.kind, line: first, ...stamp0, ...e.facts });
        }
        const text = out.join("\n");
        if (g.truncate !== undefined) {
          // Whatever the cut, it is not a crash, and every event before the last line is read.
          const cut = parseCut(parseDmesg, truncateLastLine(text, g.truncate).text);
          const lastLine = out.length;
          const before = expected.filter((e) => (e.line as number) < lastLine - 2);
          expect(cut?.facts.events.slice(0, before.length) ?? []).toMatchObject(before);
          return;
        }
        const { facts } = parseText(parseDmesg, text);
        expect(facts.lines).toBe(out.length);
        expect(facts.counts).toEqual(counts);
        expect(facts.events).toMatchObject(expected);
        expect(facts.events).toHaveLength(expected.length);
        expect(facts.time_basis).toBe(BASIS[g.stamps]);
        if (maxT !== undefined) expect(facts.newest_t_s).toBe(maxT);
        expect(facts.boots).toBe(1);
      }),
      { numRuns: RUNS },
    );
  });
});
