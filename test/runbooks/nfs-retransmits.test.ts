import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { nfsClient } from "../../src/collectors/nfs-client.js";
import { classify } from "../../src/engine/collect.js";
import { readFixture } from "../helpers/fixtures.js";
import { bundleReplayer, hyp } from "../helpers/replay-bundle.js";

/**
 * nfs-rpc-retransmits (runbooks/kernel.yaml, category `other`) on /proc/net/rpc/nfs read at
 * the start and the end of a window. The start is procfs's real file; the end is the same file
 * with its `rpc <calls> <retrans> <authrefresh>` line advanced by what the window added (the
 * rest of the file as the kernel printed it). Also: a host without the file, a single read,
 * and counters that went down (the second real file, of another client, read before the first:
 * what a reloaded sunrpc module looks like).
 */
const replay = bundleReplayer();

const RULE = "nfs-rpc-retransmits";
const PROCFS = "nfs-client/procfs__proc_net_rpc_nfs.txt";
const NODE_EXPORTER = "nfs-client/node_exporter__proc_net_rpc_nfs.txt";
const NFS_LOG = "dmesg/scenario-05-hung-task-nfs-nic-offload-bug.txt";

/** procfs's file as start, and as end with `calls` and `retrans` more on its rpc line. */
function window(calls: number, retrans: number): { text: string; start: string } {
  const start = readFixture(PROCFS);
  const rpc = /^rpc 4329785 0 4338291$/m;
  expect(start).toMatch(rpc);
  return { start, text: start.replace(rpc, `rpc ${4329785 + calls} ${retrans} 4338291`) };
}

describe("nfs-rpc-retransmits on the NFS client's RPC counters", () => {
  it("fires when retransmissions pass 5 % of the calls started in the window", async () => {
    const r = await replay({ "nfs-client": window(120, 12) }, "hang", 10);
    const h = hyp(r, RULE);
    expect(h?.category).toBe("other");
    expect(h?.title).toBe(
      "NFS requests go unanswered: 12 RPC retransmissions against 120 new calls during the window",
    );
    expect(h?.confidence).toBeCloseTo(0.45, 5);
    expect(h?.key).toMatch(/host/);
    const ev = h?.evidence.find((e) => e.fact === "nfs.client.retrans_pct");
    expect(ev).toMatchObject({ collector: "nfs-client", value: 10 });
    expect(ev?.excerpt).toBe(
      "12 retransmissions, 120 calls over 10 s; rpc 4329905 12 4338291 (start: rpc 4329785 0 4338291)",
    );
  });

  it("fires on retransmissions while no new call started, surer with the kernel's message", async () => {
    const alone = await replay({ "nfs-client": window(0, 3) }, "hang", 10);
    expect(hyp(alone, RULE)?.title).toBe(
      "NFS requests go unanswered: 3 RPC retransmissions against 0 new calls during the window",
    );
    expect(hyp(alone, RULE)?.confidence).toBeCloseTo(0.45, 5);
    // The log's `nfs: server host-b not responding, still trying` (+0.2) and a task hung on NFS
    // (+0.1).
    const withLog = await replay({ "nfs-client": window(0, 3), dmesg: NFS_LOG }, "hang", 10);
    expect(hyp(withLog, RULE)?.confidence).toBeCloseTo(0.75, 5);
  });

  it("stays quiet with no retransmission, and with a few below 5 % of many calls", async () => {
    const none = await replay({ "nfs-client": window(5000, 0) }, "hang", 10);
    expect(hyp(none, RULE)).toBeUndefined();
    expect(none.checked.find((c) => c.rule === RULE)?.verdict).toBe("fine");
    const few = await replay({ "nfs-client": window(100000, 3) }, "hang", 10);
    expect(hyp(few, RULE)).toBeUndefined();
    expect(few.checked.find((c) => c.rule === RULE)?.verdict).toBe("fine");
  });

  it("does not judge totals since boot, nor counters that went down", async () => {
    // 374636 retransmissions since the module loaded: history, not the window.
    const once = await replay({ "nfs-client": NODE_EXPORTER }, "hang");
    expect(hyp(once, RULE)).toBeUndefined();
    expect(once.checked.find((c) => c.rule === RULE)?.why).toMatch(
      /^NFS client counters read once .*0\.031 % of calls/,
    );
    const down = await replay(
      { "nfs-client": { text: readFixture(PROCFS), start: readFixture(NODE_EXPORTER) } },
      "hang",
      10,
    );
    expect(hyp(down, RULE)).toBeUndefined();
    expect(down.checked.find((c) => c.rule === RULE)?.verdict).toBe("not-evaluated");
    expect(down.notes.join("\n")).toMatch(/rpc\/nfs counters went down/);
  });

  it("is not evaluated on a host without the file, and the collector says why", async () => {
    const r = await replay({ dmesg: NFS_LOG }, "hang", 10);
    expect(hyp(r, RULE)).toBeUndefined();
    expect(r.checked.find((c) => c.rule === RULE)?.verdict).toBe("not-evaluated");
  });

  it.skipIf(existsSync("/proc/net/rpc/nfs"))(
    "is skipped, not failed, where cat finds no /proc/net/rpc/nfs (this host)",
    () => {
      const argv = nfsClient.command({
        windowSeconds: 5,
        pids: [],
        sudo: false,
        root: false,
      })!.argv;
      const run = spawnSync(argv[0], argv.slice(1), {
        env: { LC_ALL: "C", PATH: "/bin:/usr/bin" },
      });
      const record = classify(nfsClient, argv.join(" "), {
        stdout: run.stdout,
        stderr: run.stderr,
        exitCode: run.status,
        timedOut: false,
        truncated: false,
        durationMs: 1,
      });
      expect(record.status).toBe("skipped");
      expect(record.error).toMatch(/^no NFS client on this host/);
    },
  );
});
