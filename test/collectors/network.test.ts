import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, rmSync, statSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { bccTcpretrans } from "../../src/collectors/bcc-tcpretrans.js";
import { guarded } from "../../src/collectors/command.js";
import { conntrack } from "../../src/collectors/conntrack.js";
import { conntrackStats } from "../../src/collectors/conntrack-stats.js";
import { ethtoolStats } from "../../src/collectors/ethtool-stats.js";
import { netstatConn } from "../../src/collectors/netstat-conn.js";
import { netstatS } from "../../src/collectors/netstat-s.js";
import { nstat } from "../../src/collectors/nstat.js";
import { sockstat } from "../../src/collectors/sockstat.js";
import { ssListen } from "../../src/collectors/ss-listen.js";
import { ssSummary } from "../../src/collectors/ss-summary.js";
import { ssTcp } from "../../src/collectors/ss-tcp.js";
import type { Collector, CommandContext } from "../../src/collectors/types.js";
import { linesOf } from "../../src/parsers/lines.js";
import { loadParser } from "../../src/sources/index.js";

const ctx: CommandContext = { windowSeconds: 5, pids: [], sudo: false, root: false };
const ALL: Collector[] = [
  ssListen,
  ssTcp,
  ssSummary,
  nstat,
  netstatS,
  netstatConn,
  sockstat,
  conntrack,
  conntrackStats,
  ethtoolStats,
  bccTcpretrans,
];

/** Runs a collector's command here, without the engine's prefix, and parses its output. */
async function runHere(c: Collector) {
  const line = c.command(ctx)!;
  const out = line.script
    ? execFileSync("sh", ["-c", line.script], { env: { ...process.env, LC_ALL: "C" } })
    : execFileSync(line.argv[0], line.argv.slice(1), { env: { ...process.env, LC_ALL: "C" } });
  return (await loadParser(c.id))!(linesOf(out.toString()));
}

function has(tool: string): boolean {
  try {
    execFileSync("sh", ["-c", `command -v ${tool}`]);
    return true;
  } catch {
    return false;
  }
}

describe("network collectors", () => {
  it("have fixed command lines, ids and the documented settings", () => {
    expect(ALL.map((c) => [c.id, c.command(ctx)?.argv.join(" ")])).toEqual([
      ["ss-listen", "ss -ltn"],
      ["ss-tcp", "ss -tani"],
      ["ss-summary", "ss -s"],
      ["nstat", "nstat -asz"],
      ["netstat-s", "netstat -s"],
      ["netstat-conn", "netstat -tan"],
      ["sockstat", "cat /proc/net/sockstat /proc/net/sockstat6"],
      ["conntrack", `sh -c ${conntrack.command(ctx)?.script}`],
      ["conntrack-stats", `sh -c ${conntrackStats.command(ctx)?.script}`],
      ["ethtool-stats", `sh -c ${ethtoolStats.command(ctx)?.script}`],
      [
        "bcc-tcpretrans",
        `/usr/bin/timeout -s INT -k 2 ${8 + ctx.windowSeconds} /usr/sbin/tcpretrans-bpfcc`,
      ],
    ]);
    expect(ssTcp.capBytes).toBe(64 << 20);
    expect(ALL.filter((c) => c.windowed).map((c) => c.id)).toEqual([
      "nstat",
      "netstat-s",
      "conntrack-stats",
      "ethtool-stats",
    ]);
    expect(bccTcpretrans).toMatchObject({
      cost: "intrusive",
      spansWindow: true,
      untilStopped: true,
    });
    expect(bccTcpretrans.command(ctx)?.root).toBe(true);
    // Only the opt-in tracer needs root; the scripts never run under sudo.
    expect(ALL.filter((c) => c.command(ctx)?.root).map((c) => c.id)).toEqual(["bcc-tcpretrans"]);
    for (const c of ALL.filter((x) => x.id !== "bcc-tcpretrans")) expect(c.cost).toBe("cheap");
  });

  it.skipIf(!has("nstat"))(
    "nstat -asz never creates or rewrites nstat's history file",
    async () => {
      const history =
        process.env.NSTAT_HISTORY ?? join(tmpdir(), `.nstat.u${process.getuid?.() ?? 0}`);
      const before = existsSync(history) ? statSync(history).mtimeMs : undefined;
      const facts = (await runHere(nstat)).facts as { counters: Record<string, number> };
      expect(facts.counters.IpInReceives).toBeGreaterThanOrEqual(0);
      const after = existsSync(history) ? statSync(history).mtimeMs : undefined;
      expect(after).toBe(before);
    },
  );

  it.skipIf(!has("nstat") || !has("ss") || !has("netstat"))(
    "runs netstat only where nstat or ss is missing, and says so where they are not",
    async () => {
      for (const [c, preferred] of [
        [netstatS, "nstat"],
        [netstatConn, "ss"],
      ] as const) {
        const line = c.command(ctx)!;
        const script = guarded(line.unless!, line.argv);
        const here = spawnSync("sh", ["-c", script], { encoding: "utf8" });
        expect(here.status, c.id).toBe(1);
        expect(here.stdout, c.id).toBe("");
        expect(c.absent!.stderr.test(here.stderr), here.stderr).toBe(true);
        expect(c.absent!.reason, c.id).toContain(`${preferred} is installed`);
        // A PATH where only netstat is found: the stand-in runs it, and its parser reads it.
        const bin = mkdtempSync(join(tmpdir(), "diagbot-standin-"));
        symlinkSync(
          execFileSync("sh", ["-c", "command -v netstat"]).toString().trim(),
          join(bin, "netstat"),
        );
        const alone = spawnSync("/bin/sh", ["-c", script], {
          encoding: "utf8",
          env: { PATH: bin, LC_ALL: "C" },
        });
        rmSync(bin, { recursive: true });
        expect(alone.status, alone.stderr).toBe(0);
        const parsed = (await loadParser(c.id))!(linesOf(alone.stdout));
        expect(Object.keys(parsed.facts as object).length, c.id).toBeGreaterThan(0);
        // Neither tool: `exec` fails with 127, which the engine reports as missing.
        const neither = spawnSync("/bin/sh", ["-c", script], {
          encoding: "utf8",
          env: { PATH: "/nonexistent" },
        });
        expect(neither.status, c.id).toBe(127);
      }
    },
  );

  it.skipIf(!existsSync("/proc/net/sockstat"))("reads this machine's sockstat", async () => {
    const facts = (await runHere(sockstat)).facts as {
      protocols: Record<string, Record<string, number>>;
    };
    expect(facts.protocols.tcp.inuse).toBeGreaterThanOrEqual(0);
    expect(typeof facts.protocols.tcp.mem_pages).toBe("number");
  });

  it.skipIf(!existsSync("/proc/sys/net"))(
    "runs the conntrack scripts here, module loaded or not",
    async () => {
      const ct = (await runHere(conntrack)).facts as { loaded: boolean; max?: number };
      expect(ct.loaded).toBe(existsSync("/proc/sys/net/netfilter/nf_conntrack_max"));
      if (ct.loaded) expect(ct.max).toBeGreaterThan(0);
      const stats = (await runHere(conntrackStats)).facts as { loaded: boolean; cpus: unknown[] };
      expect(stats.loaded).toBe(existsSync("/proc/net/stat/nf_conntrack"));
      if (stats.loaded) expect(stats.cpus.length).toBeGreaterThan(0);
    },
  );

  it.skipIf(!has("ethtool") || !existsSync("/sys/class/net"))(
    "runs the ethtool script here: one section per interface backed by a device, with its driver",
    async () => {
      const nics = readdirSync("/sys/class/net").filter((i) =>
        existsSync(`/sys/class/net/${i}/device`),
      );
      expect(nics.length).toBeLessThan(readdirSync("/sys/class/net").length); // lo at least
      if (nics.length === 0) {
        const r = spawnSync("sh", ["-c", ethtoolStats.command(ctx)!.script!], { encoding: "utf8" });
        expect(r.status).toBe(1);
        expect(ethtoolStats.absent!.stderr.test(r.stderr), r.stderr).toBe(true);
        return;
      }
      const facts = (await runHere(ethtoolStats)).facts as {
        interfaces: Record<string, { driver?: string }>;
      };
      expect(Object.keys(facts.interfaces).sort()).toEqual(nics.sort());
      for (const i of nics) {
        // The driver the shell read from sysfs is the one ethtool -i names.
        const said = execFileSync("ethtool", ["-i", i])
          .toString()
          .match(/^driver: (.+)$/m)?.[1];
        expect(facts.interfaces[i].driver, i).toBe(said);
      }
    },
  );

  it.skipIf(process.getuid?.() !== 0 || !has("ethtool"))(
    "leaves out virtual interfaces: a namespace with lo and a veth has no NIC, and says so",
    () => {
      const ns = `diagbot-test-ethtool-${process.pid}`;
      execFileSync("ip", ["netns", "add", ns]);
      try {
        execFileSync("ip", ["-n", ns, "link", "add", "v0", "type", "veth", "peer", "name", "v1"]);
        execFileSync("ip", ["-n", ns, "link", "add", "br0", "type", "bridge"]);
        const script = ethtoolStats.command(ctx)!.script!;
        // sysfs shows the namespace's own interfaces once it is mounted from inside it.
        const r = spawnSync("ip", ["netns", "exec", ns, "sh", "-c", script], { encoding: "utf8" });
        expect(r.stdout).toBe("");
        expect(r.status).toBe(1);
        expect(ethtoolStats.absent!.stderr.test(r.stderr), r.stderr).toBe(true);
      } finally {
        execFileSync("ip", ["netns", "del", ns]);
      }
    },
  );

  it.skipIf(!has("ss"))("runs ss -ltn and ss -tani here", async () => {
    const listen = (await runHere(ssListen)).facts as { listeners: { backlog?: number }[] };
    for (const l of listen.listeners) expect(l.backlog).toBeGreaterThanOrEqual(0);
    const all = await runHere(ssTcp);
    expect(all.problems).toEqual([]);
  });
});
