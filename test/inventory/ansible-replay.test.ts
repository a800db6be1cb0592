import { cp, mkdir, mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { formatWarning, hostsOf, loadInventory } from "../../src/inventory/index.js";
import { loadRunbooks } from "../../src/runbooks/load.js";
import { sweep } from "../../src/sweeps/sweep.js";

/**
 * diagbot's `transport: replay` + `bundle:` (DESIGN.md "Inventory") read from every Ansible
 * form: an INI host line, `[group:vars]`, Ansible YAML, `ansible-inventory --list` JSON,
 * `host_vars/` and `group_vars/`; a relative bundle (or `knownHosts`) is taken from the
 * inventory file's folder.
 */
const EXAMPLE = fileURLToPath(
  new URL("../../runbooks/examples/01-inode-exhaustion-nixos-root/", import.meta.url),
);

/** A folder holding `bundles/<name>` copies of a recorded bundle, and `files` written in it. */
async function folder(files: Record<string, string>, bundles: string[]): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), "diagbot-ansible-replay-"));
  for (const b of bundles) await cp(EXAMPLE, join(dir, "bundles", b), { recursive: true });
  for (const [name, text] of Object.entries(files)) {
    await mkdir(dirname(join(dir, name)), { recursive: true });
    await writeFile(join(dir, name), text);
  }
  return dir;
}

describe("Ansible inventories: transport=replay, bundle and knownHosts", () => {
  it("an INI host line is swept from its bundle, not over SSH", async () => {
    const dir = await folder(
      { "inv/hosts.ini": "[db]\ndb1 transport=replay bundle=../bundles/db1\n" },
      ["db1"],
    );
    const inventory = await loadInventory(join(dir, "inv/hosts.ini"));
    expect(inventory.warnings).toEqual([]);
    const [host] = hostsOf(inventory, "db");
    expect(host).toMatchObject({ transport: "replay", bundle: join(dir, "bundles/db1") });
    const result = await sweep([host], { target: "db", runbooks: await loadRunbooks() });
    expect(result.hosts[0].status).toBe("ok");
    expect(result.hosts[0].findings.map((f) => f.category)).toContain("inode-exhaustion");
  });

  it("reads them from [group:vars], YAML, --list JSON, host_vars/ and group_vars/", async () => {
    const dir = await folder(
      {
        "a/hosts.ini":
          "[lab]\nlab1 bundle=bundles/lab1\nlab2 bundle=bundles/lab2\n[lab:vars]\ntransport=replay\n",
        "b/inventory.yml":
          "all:\n  children:\n    edge:\n      hosts:\n        edge1:\n          transport: replay\n          bundle: ./bundles/edge1\n",
        "c/fleet.json": JSON.stringify({
          _meta: { hostvars: { cloud1: { transport: "replay", bundle: "bundles/cloud1" } } },
          all: { children: ["cloud"] },
          cloud: { hosts: ["cloud1"] },
        }),
        "d/hosts": "[vars]\nv1\n",
        "d/host_vars/v1.yml": "bundle: bundles/v1\n",
        "d/group_vars/vars.yml": "transport: replay\n",
      },
      [],
    );
    for (const [sub, name] of [
      ["a", "lab1"],
      ["a", "lab2"],
      ["b", "edge1"],
      ["c", "cloud1"],
      ["d", "v1"],
    ]) {
      await cp(EXAMPLE, join(dir, sub, "bundles", name), { recursive: true });
    }
    const inventory = await loadInventory([
      join(dir, "a/hosts.ini"),
      join(dir, "b/inventory.yml"),
      join(dir, "c/fleet.json"),
      join(dir, "d"),
    ]);
    expect(inventory.warnings.map(formatWarning)).toEqual([]);
    const bundles = Object.fromEntries(
      [...inventory.hosts.values()].map((h) => [h.name, [h.transport, h.bundle]]),
    );
    expect(bundles).toEqual({
      lab1: ["replay", join(dir, "a/bundles/lab1")],
      lab2: ["replay", join(dir, "a/bundles/lab2")],
      edge1: ["replay", join(dir, "b/bundles/edge1")],
      cloud1: ["replay", join(dir, "c/bundles/cloud1")],
      v1: ["replay", join(dir, "d/bundles/v1")],
    });
    const result = await sweep([...inventory.hosts.values()], {
      target: "all",
      runbooks: await loadRunbooks(),
      concurrency: 5,
    });
    expect(result.summary).toMatchObject({ hosts: 5, ok: 5, unreachable: 0, failed: 0 });
  });

  it("warns, naming file and line, for what it cannot honour", async () => {
    const dir = await folder(
      {
        "hosts.ini":
          "[x]\nweird transport=telnet\nnobundle transport=replay\nsshbox ansible_host=10.0.0.9 bundle=b/sshbox knownHosts=pins/kh\nbox2 transport=local\n",
      },
      [],
    );
    const inventory = await loadInventory(join(dir, "hosts.ini"));
    expect([...inventory.hosts.keys()]).toEqual(["sshbox", "box2"]);
    expect(inventory.hosts.get("sshbox")).toMatchObject({
      transport: "ssh",
      address: "10.0.0.9",
      knownHosts: join(dir, "pins/kh"),
    });
    expect(inventory.hosts.get("box2")?.transport).toBe("local");
    const warnings = inventory.warnings.map(formatWarning);
    const file = join(dir, "hosts.ini");
    expect(warnings).toEqual([
      `${file}:2: transport=telnet: expected ssh, local or replay; host weird left out`,
      `${file}:4: bundle=b/sshbox: read with transport=replay only; not used`,
      `${file}: line 3: host nobundle.bundle: is required for transport: replay; host nobundle left out`,
    ]);
  });
});
