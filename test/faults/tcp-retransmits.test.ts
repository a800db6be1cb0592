import { type ChildProcess, spawn } from "node:child_process";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { exited, firstLine } from "./cgroups.js";
import { categories, diagnoseLocal, evidenceText, sh } from "./helpers.js";
import { diagnoseFault } from "./record.js";

/**
 * TCP retransmits from loss on the path: a veth pair to a network namespace this test creates,
 * a receiver in the namespace, senders in the root namespace. For the fault, a `tbf` qdisc on
 * the root-namespace end (10 Mbit/s, a 3 KB queue: two full-size segments) drops whatever
 * exceeds its queue, so four bulk streams lose segments and retransmit them (TcpRetransSegs
 * against TcpOutSegs, Documentation/networking/snmp_counter.rst). netem is not available on
 * this VM; tbf's tail drop is loss all the same. Traffic goes only to the namespace.
 * The control sends a paced stream over the same pair without the qdisc: no loss.
 */
const ID = process.pid % 100_000;
const NS = `diagbot-fault-rt-${ID}`;
const HOST_IF = `dbrt${ID}a`;
const NS_IF = `dbrt${ID}b`;
const PORT = 5201;

/** A /30 in 10.254.0.0/16 that no address or route on this host uses yet. */
function pickSubnet(): string {
  const used = sh("ip -4 -o addr show; ip -4 route show table all");
  for (let x = 213; x < 255; x++) {
    if (!used.includes(`10.254.${x}.`)) return `10.254.${x}`;
  }
  throw new Error("no free 10.254.x.0/30 subnet");
}

const RECEIVER = [
  "import socket, threading",
  "s = socket.socket()",
  "s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)",
  "s.bind((__import__('sys').argv[1], int(__import__('sys').argv[2])))",
  "s.listen(64)",
  'print("listening", flush=True)',
  "def drain(c):",
  "    while c.recv(1 << 16):",
  "        pass",
  "while True:",
  "    c, _ = s.accept()",
  "    threading.Thread(target=drain, args=(c,), daemon=True).start()",
].join("\n");

const SENDER = [
  "import socket, sys, threading, time",
  "host, port, streams, pace = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), float(sys.argv[4])",
  "socks = [socket.create_connection((host, port)) for _ in range(streams)]",
  "def send(s):",
  '    b = b"x" * (1 << 16)',
  "    while True:",
  "        s.sendall(b)",
  "        if pace:",
  "            time.sleep(pace)",
  "for s in socks:",
  "    threading.Thread(target=send, args=(s,), daemon=True).start()",
  'print("sending", flush=True)',
  "time.sleep(60)",
].join("\n");

function group(command: string, args: string[]): ChildProcess {
  return spawn(command, args, { detached: true, stdio: ["ignore", "pipe", "inherit"] });
}

async function stop(c: ChildProcess | undefined): Promise<void> {
  if (!c?.pid) return;
  try {
    process.kill(-c.pid, "SIGKILL");
  } catch {
    // already gone
  }
  await exited(c);
}

describe("fault: TCP retransmits (tbf loss on a veth pair to a namespace)", () => {
  const subnet = pickSubnet();
  const local = `${subnet}.1`;
  const peer = `${subnet}.2`;
  let receiver: ChildProcess | undefined;
  let sender: ChildProcess | undefined;

  beforeAll(async () => {
    sh(`ip netns add ${NS}`);
    sh(`ip link add ${HOST_IF} type veth peer name ${NS_IF} netns ${NS}`);
    sh(`ip addr add ${local}/30 dev ${HOST_IF} && ip link set ${HOST_IF} up`);
    sh(`ip -n ${NS} addr add ${peer}/30 dev ${NS_IF} && ip -n ${NS} link set ${NS_IF} up`);
    sh(`ip -n ${NS} link set lo up`);
    receiver = group("ip", ["netns", "exec", NS, "python3", "-c", RECEIVER, peer, String(PORT)]);
    await firstLine(receiver);
  });

  afterAll(async () => {
    try {
      await stop(sender);
      await stop(receiver);
    } finally {
      sh(`ip link del ${HOST_IF} 2>/dev/null || true; ip netns del ${NS} 2>/dev/null || true`);
    }
  });

  const names = (h: any) => {
    const text = evidenceText(h);
    return text.includes(peer) || text.includes(HOST_IF);
  };

  it("control: a paced stream without loss gives no retransmit finding for the peer", async () => {
    sender = group("python3", ["-c", SENDER, peer, String(PORT), "1", "0.05"]);
    await firstLine(sender);
    await new Promise((r) => setTimeout(r, 1000));
    const report = await diagnoseLocal("network");
    const mine = report.hypotheses.filter(
      (h: any) => h.category === "network-retransmits-loss" && names(h),
    );
    expect(mine).toEqual([]);
    await stop(sender);
  });

  it("names network-retransmits-loss first, citing the peer", async () => {
    sh(`tc qdisc add dev ${HOST_IF} root tbf rate 10mbit burst 4kb limit 3kb`);
    sender = group("python3", ["-c", SENDER, peer, String(PORT), "4", "0"]);
    await firstLine(sender);
    await new Promise((r) => setTimeout(r, 2000));
    const report = await diagnoseFault("tcp-retransmits", "network", {
      category: "network-retransmits-loss",
      keep: ["nstat", "netstat-s", "ss-tcp", "ethtool-stats"],
    });
    expect(categories(report)[0], JSON.stringify(report.hypotheses.map((h: any) => h.title))).toBe(
      "network-retransmits-loss",
    );
    expect(names(report.hypotheses[0]), evidenceText(report.hypotheses[0])).toBe(true);
  });
});
