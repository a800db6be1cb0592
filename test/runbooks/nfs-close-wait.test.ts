import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { diagnoseBundle } from "../../src/engine/diagnose.js";
import type { Symptom } from "../../src/model/report.js";
import { loadRunbooks } from "../../src/runbooks/load.js";
import { readFixture } from "../helpers/fixtures.js";

/**
 * Causes of the `other` category on parsed outputs, replayed as small bundles: an NFS server
 * that stopped answering (net/sunrpc/clnt.c rpc_check_timeout: `%s: server %s not responding,
 * still trying` on hard mounts, `..., timed out` on soft ones; call_decode: `%s: server %s OK`
 * when a call completes again), and sockets left in CLOSE-WAIT by an application that never
 * closes them (`ss -tani` and `ss -tanpe` as iproute2 prints them on the Debian VM,
 * test/fixtures/ss-tcp/, with CLOSE-WAIT rows in the same columns).
 */
const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

async function replay(files: Record<string, string>, symptom: Symptom) {
  const dir = mkdtempSync(join(tmpdir(), "diagbot-test-other-"));
  dirs.push(dir);
  for (const [id, text] of Object.entries(files)) writeFileSync(join(dir, `${id}.out`), text);
  return (await diagnoseBundle(dir, "t", symptom, await loadRunbooks())).report;
}

/**
 * A hung task blocked in NFS fsync on x86 (kernel/hung_task.c, 3.13+ wording; the 4.x stack
 * format `func+0xoff/0xsize [module]`), reported at 1600 s after 120 s blocked.
 */
const HUNG_IN_NFS = [
  "[ 1600.000000] INFO: task rsync:4242 blocked for more than 120 seconds.",
  "[ 1600.000100]       Not tainted 4.19.0-25-amd64 #1 Debian 4.19.289-2",
  '[ 1600.000150] "echo 0 > /proc/sys/kernel/hung_task_timeout_secs" disables this message.',
  "[ 1600.000200] Call Trace:",
  "[ 1600.000300]  __schedule+0x2a2/0x870",
  "[ 1600.000400]  schedule+0x28/0x80",
  "[ 1600.000500]  io_schedule+0x12/0x40",
  "[ 1600.000600]  wait_on_page_bit_common+0x114/0x1f0",
  "[ 1600.000700]  __filemap_fdatawait_range+0xd4/0x130",
  "[ 1600.000800]  filemap_write_and_wait_range+0x4b/0x90",
  "[ 1600.000900]  nfs_file_fsync+0x44/0x1e0 [nfs]",
  "[ 1600.001000]  do_fsync+0x38/0x70",
];

function log(...lines: string[]): string {
  return `${lines.join("\n")}\n`;
}

describe("an NFS server that does not answer (nfs-server-unresponsive)", () => {
  it("hard-mount retries with no OK after them, and a task hung in NFS: the server is the cause", async () => {
    const down = [
      "[ 1410.220001] nfs: server filer1 not responding, still trying",
      "[ 1455.870310] nfs: server filer1 not responding, still trying",
    ];
    const r = await replay({ dmesg: log(...down, ...HUNG_IN_NFS) }, "hang");
    const h = r.hypotheses[0];
    expect(h.rule).toBe("nfs-server-unresponsive");
    expect(h.category).toBe("other");
    expect(h.title).toBe("The NFS server filer1 does not respond: tasks using its mounts block");
    // 0.55, + 0.2 for a blocked task in network-filesystem code.
    expect(h.confidence).toBeCloseTo(0.75, 5);
    expect(h.evidence.find((e) => e.fact === "nfs.not_responding")?.excerpt).toMatch(
      /^\[ 1410\.220001\] nfs: server filer1 not responding, still trying/,
    );
    const hung = r.hypotheses.find((x) => x.rule === "hung-task");
    expect(hung?.explainedBy).toBe("nfs-server-unresponsive");
  });

  it("a soft mount's `timed out` is the same outage", async () => {
    const r = await replay(
      { dmesg: log("[ 2001.000004] nfs: server 192.0.2.40 not responding, timed out") },
      "errors",
    );
    const h = r.hypotheses.find((x) => x.rule === "nfs-server-unresponsive");
    expect(h?.title).toBe(
      "The NFS server 192.0.2.40 does not respond: tasks using its mounts block",
    );
    expect(h?.confidence).toBeCloseTo(0.55, 5);
  });

  it("is quiet once the server answered (`server ... OK`), and on a log without NFS", async () => {
    const r = await replay(
      {
        dmesg: log(
          "[ 1410.220001] nfs: server filer1 not responding, still trying",
          "[ 1411.004512] nfs: server filer1 OK",
        ),
      },
      "hang",
    );
    expect(r.checked.find((c) => c.rule === "nfs-server-unresponsive")?.verdict).toBe("fine");
    const clean = await replay(
      { dmesg: readFixture("dmesg/vm-debian12-k6.18__dmesg.txt") },
      "hang",
    );
    expect(clean.hypotheses.find((x) => x.rule === "nfs-server-unresponsive")).toBeUndefined();
  });
});

/** The Debian VM's `ss -tani` (header, listeners, loopback connections) with `rows` appended. */
function ssTani(rows: string[]): string {
  return `${readFixture("ss-tcp/vm-debian12-k6.18__ss-tani.txt").trimEnd()}\n${rows.join("\n")}\n`;
}

/**
 * A CLOSE-WAIT socket of `ss -tani` in the columns of the fixture's ESTAB rows, and its `-i`
 * line (lastrcv: ms since the last segment received, here the peer's FIN).
 */
function closeWaitRow(port: number, recvQ: number, lastrcvMs: number): string[] {
  return [
    `CLOSE-WAIT ${String(recvQ).padEnd(6)} 0          10.0.0.5:8080     10.0.0.9:${port}`,
    `\t cubic wscale:7,7 rto:204 rtt:0.8/0.4 ato:40 mss:1448 pmtu:1500 rcvmss:536 advmss:1448 cwnd:10 bytes_received:${recvQ + 300} segs_out:3 segs_in:5 send 144800000bps lastsnd:${lastrcvMs + 20} lastrcv:${lastrcvMs} lastack:${lastrcvMs} pacing_rate 289600000bps delivered:1 rcv_space:14480 rcv_ssthresh:64088 minrtt:0.5`,
  ];
}

/** `ss -tanpe` rows of CLOSE-WAIT sockets held by `java` (users:(...) as in the fixture). */
function ssTanpe(count: number): string {
  const head = readFixture("ss-tcp/vm-debian12-k6.18__ss-tanpe.txt").trimEnd();
  const rows = Array.from(
    { length: count },
    (_, i) =>
      `CLOSE-WAIT 0      0          10.0.0.5:8080     10.0.0.9:${40000 + i} users:(("java",pid=3120,fd=${200 + i})) uid:1001 ino:${91000 + i} sk:${(0x100 + i).toString(16)} cgroup:/system.slice/app.service <->`,
  );
  return `${head}\n${rows.join("\n")}\n`;
}

describe("sockets left in CLOSE-WAIT (close-wait-leak)", () => {
  it("three CLOSE-WAIT sockets with unread data, idle for 400 s: the application stopped reading and closing", async () => {
    const rows = [40110, 40112, 40118].flatMap((p) => closeWaitRow(p, 517, 400_000));
    const r = await replay({ "ss-tcp": ssTani(rows) }, "network");
    const h = r.hypotheses.find((x) => x.rule === "close-wait-leak");
    expect(h?.category).toBe("other");
    expect(h?.title).toBe(
      "Sockets stay in CLOSE-WAIT: the peer closed but the application never closes them",
    );
    // 0.45, + 0.15 for a socket idle a minute or more.
    expect(h?.confidence).toBeCloseTo(0.6, 5);
    expect(h?.evidence.find((e) => e.fact === "net.sockets.close_wait_unread")).toMatchObject({
      value: 3,
      excerpt: "tcp CLOSE-WAIT 517 0 10.0.0.5:8080 10.0.0.9:40110",
    });
    expect(h?.evidence.find((e) => e.fact === "net.sockets.close_wait_idle_s")?.value).toBe(400);
  });

  it("150 CLOSE-WAIT sockets of one process, named from ss -p", async () => {
    const r = await replay({ "ss-tcp": ssTanpe(150) }, "network");
    const h = r.hypotheses.find((x) => x.rule === "close-wait-leak");
    expect(h?.title).toBe(
      "Sockets stay in CLOSE-WAIT in java: the peer closed but the application never closes them",
    );
    expect(h?.key).toBe("t/close-wait-leak/java");
    expect(h?.confidence).toBeCloseTo(0.65, 5);
  });

  it("is quiet for sockets caught on their way to close(), and on the VM's own sockets", async () => {
    // Unread data, but the FIN came 150 ms ago: the application has not had time to close.
    const fresh = await replay(
      { "ss-tcp": ssTani([...closeWaitRow(40110, 517, 150), ...closeWaitRow(40112, 0, 90)]) },
      "network",
    );
    expect(fresh.checked.find((c) => c.rule === "close-wait-leak")?.verdict).toBe("fine");
    const vm = await replay({ "ss-tcp": ssTani([]) }, "network");
    expect(vm.checked.find((c) => c.rule === "close-wait-leak")?.verdict).toBe("fine");
  });
});
