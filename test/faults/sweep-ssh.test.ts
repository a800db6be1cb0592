import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCli, spawnCli } from "../helpers/cli.js";
import { killMarked, marked, until } from "../helpers/run-marker.js";
import {
  freePort,
  type InventoryHost,
  type SshdHandle,
  sshdAvailable,
  startSshd,
} from "../helpers/sshd.js";

/**
 * `diagbot sweep` over six hosts of one loopback sshd (they share this machine's kernel, so
 * their findings agree) and one address where nothing listens: every host is a result, the
 * dead one `unreachable` with its reason, the exit code is 4 (some hosts did not answer), and
 * the finding keys are the same in two runs of the unchanged fleet. Six health collections at
 * once load the whole machine, so this runs in the serial `faults` project.
 */
interface SweptHost {
  host: string;
  status: string;
  error?: string;
  findings: { key: string; category: string }[];
}

describe.skipIf(!sshdAvailable())("sweep over loopback sshd hosts", () => {
  let sshd: SshdHandle;
  let inventory: string;
  const names = ["web-01", "web-02", "web-03", "db-01", "db-02", "cache-01"];

  beforeAll(async () => {
    sshd = await startSshd({ maxSessions: 64 });
    const hosts: Record<string, InventoryHost> = Object.fromEntries(
      names.map((n) => [n, { address: "127.0.0.1", groups: ["fleet"] }]),
    );
    // Asked for, then released: nothing listens there while the sweep runs.
    hosts["gone-01"] = { address: "127.0.0.1", port: await freePort(), groups: ["fleet"] };
    inventory = sshd.writeInventory(hosts);
  });
  afterAll(async () => {
    await sshd?.stop();
  });

  const sweep = () =>
    runCli(["sweep", "fleet", "--window", "1", "--json"], {
      env: { DIAGBOT_INVENTORY: inventory },
      timeoutMs: 120_000,
    });

  it("answers every host, marks the dead one unreachable, exits 4, keys stable", async () => {
    const first = await sweep();
    expect(first.code, first.stderr).toBe(4);
    const hosts = first.json.hosts as SweptHost[];
    expect(hosts.map((h) => h.host).sort()).toEqual([...names, "gone-01"].sort());
    const gone = hosts.find((h) => h.host === "gone-01")!;
    expect(gone.status).toBe("unreachable");
    expect(gone.error).toMatch(/refused|connect/i);
    expect(hosts.filter((h) => h.host !== "gone-01").every((h) => h.status === "ok")).toBe(true);
    expect(first.json.summary).toMatchObject({ hosts: 7, ok: 6, unreachable: 1 });

    // Every key names its host, and the second run of the unchanged fleet gives the same keys.
    // CPU findings follow this machine's load, and retransmit findings the live connections of
    // the moment (`ss -ti` per peer), both of which other work changes between the two runs.
    const LOAD = new Set([
      "cpu-saturation",
      "run-queue-latency",
      "steal-time",
      "network-retransmits-loss",
    ]);
    const keysOf = (list: SweptHost[]) =>
      Object.fromEntries(
        list.map((h) => [
          h.host,
          h.findings
            .filter((f) => !LOAD.has(f.category))
            .map((f) => f.key)
            .sort(),
        ]),
      );
    for (const h of hosts) {
      for (const f of h.findings) expect(f.key.startsWith(`${h.host}/`)).toBe(true);
    }
    const second = await sweep();
    expect(second.code, second.stderr).toBe(4);
    expect(keysOf(second.json.hosts)).toEqual(keysOf(hosts));
  }, 240_000);

  it("SIGINT mid-sweep: exit 130, each host's reason names the signal, nothing left on the hosts", async () => {
    const marker = `sweep${process.pid}x${Date.now()}`;
    const cli = spawnCli(["sweep", "fleet", "--window", "30", "--json"], {
      DIAGBOT_INVENTORY: inventory,
      DIAGBOT_RUN: marker,
    });
    try {
      // Every live host's window has started: its `sleep` runs.
      const sleeping = () => marked(marker).filter((p) => p.comm === "sleep").length;
      const started = await until(() => (sleeping() >= names.length ? true : undefined), 60_000);
      expect(started, `windows started: ${sleeping()}; stderr: ${cli.stderr()}`).toBe(true);
      expect(await cli.stop("SIGINT"), cli.stderr()).toBe(130);
      const hosts = JSON.parse(cli.stdout()).hosts as SweptHost[];
      for (const h of hosts.filter((x) => x.host !== "gone-01")) {
        expect(h.status, h.host).toBe("failed");
        expect(h.error, h.host).toBe("interrupted by SIGINT before its result");
      }
      expect(cli.stderr()).toMatch(/failed: interrupted by SIGINT before its result/);
      const gone = await until(() => (marked(marker).length === 0 ? true : undefined), 5000);
      expect(gone, `left: ${JSON.stringify(marked(marker))}`).toBe(true);
    } finally {
      cli.child.kill("SIGKILL");
      killMarked(marker);
    }
  }, 120_000);
});
