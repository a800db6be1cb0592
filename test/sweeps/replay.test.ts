import { mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from "node:fs/promises";
import { type AddressInfo, createServer, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { runCli, spawnCli } from "../helpers/cli.js";

/**
 * `diagbot sweep` over replay hosts (test/fixtures/sweeps/): a fleet whose hosts differ on one
 * machine. The findings and their keys are exact; bad targets and options are usage errors.
 */
const INVENTORY = fileURLToPath(new URL("../fixtures/sweeps/inventory.yaml", import.meta.url));
const env = { DIAGBOT_INVENTORY: INVENTORY };

describe("sweep over replay hosts", () => {
  it("gives each host its exact findings and keys, and exits 0", async () => {
    const r = await runCli(["sweep", "fleet", "--json"], { env });
    expect(r.code, r.stderr).toBe(0);
    expect(Object.keys(r.json)).toEqual(["sweep", "startedAt", "durationMs", "hosts", "summary"]);
    expect(r.json.sweep).toBe("fleet");
    expect(Number.isNaN(Date.parse(r.json.startedAt))).toBe(false);
    const keys = Object.fromEntries(
      r.json.hosts.map((h: { host: string; findings: { key: string }[] }) => [
        h.host,
        h.findings.map((f) => f.key),
      ]),
    );
    expect(keys).toEqual({
      "healthy-01": [],
      "full-fs-01": ["full-fs-01/filesystem-full/%2Fvar%2Flib%2Fpostgresql"],
      "listen-01": ["listen-01/network-listen-overflow/0.0.0.0:8080"],
      "oom-01": [
        "oom-01/memory-oom/%2Fdiagbot-fault-oom-23147",
        "oom-01/memory-oom-cgroup/%2Fdiagbot-fault-oom-23147",
        "oom-01/pids-exhaustion-logged/%2Fdiagbot-fault-pids-22768",
        "oom-01/memory-leak-suspect/python3",
      ],
    });
    const fullFs = r.json.hosts[1];
    expect(fullFs).toEqual({
      host: "full-fs-01",
      status: "ok",
      findings: [
        {
          key: "full-fs-01/filesystem-full/%2Fvar%2Flib%2Fpostgresql",
          rule: "filesystem-full",
          category: "filesystem-full",
          confidence: 0.8,
          title: "/var/lib/postgresql is 100 % full (0 bytes left for non-root users)",
        },
      ],
      durationMs: expect.any(Number),
    });
    expect(r.json.hosts[2].findings[0]).toMatchObject({
      rule: "network-listen-overflow",
      category: "network-listen-overflow",
      confidence: 0.75,
    });
    expect(r.json.hosts[3].findings[0]).toMatchObject({ category: "memory-oom", confidence: 0.75 });
    expect(r.json.summary).toEqual({ hosts: 4, ok: 4, unreachable: 0, failed: 0, withFindings: 3 });
  });

  it("prints hosts with findings first, then the count of healthy ones", async () => {
    const r = await runCli(["sweep", "fleet"], { env });
    expect(r.code, r.stderr).toBe(0);
    const lines = r.stdout.split("\n");
    expect(lines[0]).toMatch(/^HOST\s+CONF\s+CATEGORY\s+FINDING$/);
    expect(lines[1]).toMatch(/^oom-01\s+0\.75\s+memory-oom\s+The OOM killer ran/);
    expect(r.stdout).toMatch(
      /full-fs-01\s+0\.80\s+filesystem-full\s+\/var\/lib\/postgresql is 100 % full/,
    );
    expect(r.stdout).toMatch(/1 of 4 hosts healthy, 3 with findings, 0 unreachable, 0 failed/);
  });

  it("a host where nothing listens is unreachable with its reason; the rest answer: exit 4", async () => {
    // An agent is named, so there is a way to log in and the connection is tried.
    const r = await runCli(["sweep", "all", "--json"], {
      env: { ...env, SSH_AUTH_SOCK: "/nonexistent/agent.sock" },
    });
    expect(r.code, r.stderr).toBe(4);
    const spare = r.json.hosts.find((h: { host: string }) => h.host === "spare-01");
    expect(spare.status).toBe("unreachable");
    expect(spare.error).toMatch(/refused/);
    expect(r.stderr).toMatch(/spare-01: unreachable/);
    expect(r.json.summary).toMatchObject({ hosts: 5, ok: 4, unreachable: 1 });
  });

  it("a host's error is one line in --json; what to do is a separate hint", async () => {
    // No key in the inventory and no agent: nothing is tried, the host is failed (this side's
    // to fix), and diagbot names the problem and the remedy.
    const r = await runCli(["sweep", "spare", "--json"], {
      env: { ...env, SSH_AUTH_SOCK: undefined },
    });
    expect(r.code, r.stderr).toBe(3);
    const [spare] = r.json.hosts;
    expect(spare).toMatchObject({ status: "failed", errorCode: "config" });
    expect(spare.error).toBe(
      "no identityFile for spare-01 and SSH_AUTH_SOCK is not set: no key to log in with",
    );
    expect(spare.hint).toMatch(/^set identityFile in the inventory .*SSH_AUTH_SOCK$/);
    expect(spare.hint).not.toContain("\n");
    expect(r.stderr).toContain(
      `diagbot: spare-01: failed: ${spare.error}\n  hint: ${spare.hint}\n`,
    );
  });
});

describe("sweep with DIAGBOT_STATE_DIR: what changed since the last run", () => {
  it("the first run posts its findings new, the second nothing; the state is a 0600 file", async () => {
    const state = await mkdtemp(join(tmpdir(), "diagbot-state-"));
    const withState = { ...env, DIAGBOT_STATE_DIR: state };
    const first = await runCli(["sweep", "fleet", "--json", "--confirm-runs", "1"], {
      env: withState,
    });
    expect(first.code, first.stderr).toBe(0);
    const reported = first.json.hosts
      .flatMap((h: { findings: { key: string; confidence: number }[] }) => h.findings)
      .filter((f: { confidence: number }) => f.confidence >= 0.5)
      .map((f: { key: string }) => f.key)
      .sort();
    expect(first.json.changes.new.map((f: { key: string }) => f.key).sort()).toEqual(reported);
    expect(first.json.changes).toMatchObject({
      changed: true,
      firstRun: true,
      stillPresent: 0,
      resolved: [],
    });

    expect(first.json.hosts[0]).not.toHaveProperty("evaluatedRules");
    const second = await runCli(["sweep", "fleet", "--confirm-runs", "1"], { env: withState });
    expect(second.code, second.stderr).toBe(0);
    expect(second.stdout).toContain("Changes since the last run:\n  nothing changed\n");
    // A first run whose findings wait for a second sighting says it is the first.
    const fresh = await mkdtemp(join(tmpdir(), "diagbot-state-"));
    const held = await runCli(["sweep", "fleet", "--confirm-runs", "2"], {
      env: { ...env, DIAGBOT_STATE_DIR: fresh },
    });
    expect(held.stdout).toContain(
      "First run of this sweep (nothing earlier to compare with):\n  nothing to report yet\n",
    );
    expect(held.stdout).toContain(`${reported.length} held back until confirmed`);
    expect(second.stdout).toContain(`  ${reported.length} still present, 0 held back`);
    const file = join(state, "sweeps", "fleet.json");
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    expect(JSON.parse(await readFile(file, "utf8")).runs).toBe(2);
  });

  it("a state file that does not read back is kept aside, warned about, and the run is a first run", async () => {
    const state = await mkdtemp(join(tmpdir(), "diagbot-state-"));
    const withState = { ...env, DIAGBOT_STATE_DIR: state };
    await mkdir(join(state, "sweeps"), { recursive: true });
    const file = join(state, "sweeps", "fleet.json");
    await writeFile(file, '{"version":1,"runs":4,"findings":{', { mode: 0o600 });
    const r = await runCli(["sweep", "fleet", "--json", "--confirm-runs", "1"], { env: withState });
    expect(r.code, r.stderr).toBe(0);
    const copy = (await readdir(join(state, "sweeps"))).find((f) => f.includes(".corrupt-"));
    expect(copy).toBeDefined();
    expect(await readFile(join(state, "sweeps", copy!), "utf8")).toBe(
      '{"version":1,"runs":4,"findings":{',
    );
    expect(r.stderr).toContain(
      "diagbot: warning: state was unreadable; every finding is shown as new (this run counts as the first): not JSON:",
    );
    expect(r.stderr).toContain(`the bad copy is kept as ${join(state, "sweeps", copy!)}`);
    expect(r.json.changes.stateUnreadable).toMatch(/^not JSON: /);
    expect(r.json.changes.new.length).toBeGreaterThan(0);
    expect(JSON.parse(await readFile(file, "utf8")).runs).toBe(1);
  });

  it.each([
    [
      "a regular file",
      async (dir: string) => writeFile(dir, "x"),
      (dir: string) => `${dir} is a file, not a folder`,
    ],
    [
      "a folder where the state file goes",
      async (dir: string) => mkdir(join(dir, "sweeps", "fleet.json"), { recursive: true }),
      (dir: string) => `${join(dir, "sweeps", "fleet.json")} is a folder, not a file`,
    ],
  ])(
    "a state place that is %s is refused before the sweep: exit 2 naming the variable",
    async (_, make, why) => {
      const parent = await mkdtemp(join(tmpdir(), "diagbot-state-"));
      const state = join(parent, "state");
      await make(state);
      const r = await runCli(["sweep", "fleet"], { env: { ...env, DIAGBOT_STATE_DIR: state } });
      expect(r.code).toBe(2);
      expect(r.stdout).toBe("");
      expect(r.stderr).toContain(`diagbot: DIAGBOT_STATE_DIR=${state}: ${why(state)}\n`);
      expect(r.stderr).not.toMatch(/unexpected error|\n\s+at /);
    },
  );

  it("a state that cannot be written after the sweep still prints the run, warns, and leaves no temporary file", async () => {
    const state = await mkdtemp(join(tmpdir(), "diagbot-state-"));
    // A file size limit of 0 makes the write of the state fail (EFBIG); stdout is a pipe.
    const r = await runCli(["sweep", "fleet", "--json", "--confirm-runs", "1"], {
      env: { ...env, DIAGBOT_STATE_DIR: state },
      fileSizeLimit: 0,
    });
    expect(r.code, r.stderr).toBe(0);
    expect(r.json.summary).toMatchObject({ hosts: 4, ok: 4 });
    expect(r.json.changes.new.length).toBeGreaterThan(0);
    expect(r.stderr).toContain("diagbot: warning: the sweep state was not saved (EFBIG");
    expect(await readdir(join(state, "sweeps"))).toEqual([]);
  });

  it("--confirm-runs outside 1 to 10 exits 2", async () => {
    const r = await runCli(["sweep", "fleet", "--confirm-runs", "11"], { env });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--confirm-runs must be a whole number from 1 to 10/);
  });
});

describe("sweep: secrets in what a finding is about", () => {
  it("a token in an OOM-killed cgroup's path is redacted in the keys, the table and the state", async () => {
    const token = "ghp_16C7e42F292c6912E7710c838347Ae178B4a";
    const dir = await mkdtemp(join(tmpdir(), "diagbot-sweep-secret-"));
    const bundle = join(dir, "oom-01");
    await mkdir(bundle);
    const fixture = fileURLToPath(new URL("../fixtures/sweeps/oom/", import.meta.url));
    for (const f of await readdir(fixture)) {
      const text = await readFile(join(fixture, f), "utf8");
      await writeFile(join(bundle, f), text.replaceAll("/diagbot-fault-oom-", `/${token}-`));
    }
    await writeFile(
      join(dir, "inventory.yaml"),
      "hosts:\n  oom-01: { transport: replay, bundle: ./oom-01 }\n",
    );
    const run = (json: boolean) =>
      runCli(["sweep", "all", ...(json ? ["--json"] : [])], {
        env: {
          DIAGBOT_INVENTORY: join(dir, "inventory.yaml"),
          DIAGBOT_STATE_DIR: join(dir, "state"),
        },
      });
    const first = await run(true);
    const second = await run(false);
    const state = await readFile(join(dir, "state", "sweeps", "all.json"), "utf8");
    await rm(dir, { recursive: true, force: true });
    expect(first.code, first.stderr).toBe(0);
    const keys: string[] = first.json.hosts[0].findings.map((f: { key: string }) => f.key);
    expect(keys.some((k) => k.includes("[REDACTED]"))).toBe(true);
    for (const text of [first.stdout, second.stdout, second.stderr, state]) {
      expect(text).not.toContain("ghp_16C7");
    }
  });
});

describe("sweep: interrupted while hosts hold their handshake", () => {
  it("SIGINT exits 130 at once, the hosts failed as interrupted, the state left as it was", async () => {
    // Accepts and never sends a banner: each handshake would wait out its 10 s limit.
    const sockets: Socket[] = [];
    const server = createServer((sock) => sockets.push(sock));
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    const port = (server.address() as AddressInfo).port;
    const dir = await mkdtemp(join(tmpdir(), "diagbot-sweep-silent-"));
    await writeFile(join(dir, "kh"), "");
    await writeFile(
      join(dir, "inventory.yaml"),
      `defaults: { user: root, port: ${port}, knownHosts: ${join(dir, "kh")} }\nhosts:\n  s1: { address: 127.0.0.1 }\n  s2: { address: 127.0.0.1 }\n`,
    );
    const cli = spawnCli(["sweep", "all", "--json"], {
      DIAGBOT_INVENTORY: join(dir, "inventory.yaml"),
      DIAGBOT_STATE_DIR: join(dir, "state"),
      SSH_AUTH_SOCK: "/nonexistent/agent.sock",
    });
    try {
      const deadline = Date.now() + 20_000;
      while (sockets.length < 2 && Date.now() < deadline)
        await new Promise((r) => setTimeout(r, 50));
      expect(sockets.length, cli.stderr()).toBe(2);
      const stopped = Date.now();
      expect(await cli.stop("SIGINT"), cli.stderr()).toBe(130);
      expect(Date.now() - stopped).toBeLessThan(3000);
      const hosts = JSON.parse(cli.stdout()).hosts as { status: string; error: string }[];
      for (const h of hosts)
        expect(h).toMatchObject({
          status: "failed",
          error: "interrupted by SIGINT before its result",
        });
      expect(cli.stderr()).toMatch(/interrupted: the sweep state was not saved/);
      await expect(stat(join(dir, "state", "sweeps", "all.json"))).rejects.toThrow(/ENOENT/);
    } finally {
      cli.child.kill("SIGKILL");
      for (const s of sockets) s.destroy();
      server.close();
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe("sweep: bad input", () => {
  it("an unknown group exits 2 naming the closest names", async () => {
    const r = await runCli(["sweep", "flet", "--json"], { env });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/unknown host or group "flet"/);
    expect(r.stderr).toMatch(/closest known names: fleet/);
    expect(r.stdout).toBe("");
  });

  it("an empty group exits 2", async () => {
    const r = await runCli(["sweep", "empty"], {
      env: {
        DIAGBOT_INVENTORY: fileURLToPath(
          new URL("../fixtures/sweeps/empty-group.ini", import.meta.url),
        ),
      },
    });
    // The Ansible INI reader keeps no group without hosts, so the name is unknown here.
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/host group "empty" of \S+ has no hosts/);
    expect(r.stdout).toBe("");
  });

  it("an inventory with no host at all: all exits 2, saying to add hosts, not to sweep all", async () => {
    const dir = await mkdtemp(join(tmpdir(), "diagbot-sweep-none-"));
    await writeFile(join(dir, "inventory.yaml"), "hosts: {}\n");
    const r = await runCli(["sweep", "all"], {
      env: { DIAGBOT_INVENTORY: join(dir, "inventory.yaml") },
    });
    await rm(dir, { recursive: true, force: true });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/all has no hosts in /);
    expect(r.stderr).toMatch(/hint: the inventory lists no host: add one/);
    expect(r.stderr).not.toMatch(/or all/);
  });

  it("a DIAGBOT_STATE_DIR with an unexpanded ~ exits 2 before any host, making no folder", async () => {
    const cwd = await mkdtemp(join(tmpdir(), "diagbot-sweep-tilde-"));
    const r = await runCli(["sweep", "fleet"], {
      env: { ...env, DIAGBOT_STATE_DIR: "~/.local/state/diagbot" },
      cwd,
    });
    const made = await readdir(cwd);
    await rm(cwd, { recursive: true, force: true });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(
      /DIAGBOT_STATE_DIR=~\/\.local\/state\/diagbot: "~" is not expanded here/,
    );
    expect(made).toEqual([]);
  });

  it.each(["0", "abc", "-3", "1.5", "1001"])("--concurrency %s exits 2", async (value) => {
    const r = await runCli(["sweep", "fleet", "--concurrency", value], { env });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--concurrency must be a whole number from 1 to 1000/);
  });
});
