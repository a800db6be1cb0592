import { execFileSync, spawnSync } from "node:child_process";
import {
  chmodSync,
  existsSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { homedir, tmpdir, userInfo } from "node:os";
import { dirname, join, resolve } from "node:path";
import { describe, expect, it } from "vitest";
import {
  formatWarning,
  type HostConfig,
  hostsOf,
  type Inventory,
  loadInventory,
} from "../../src/inventory/index.js";
import { fixturePath } from "../helpers/fixtures.js";

const real = (name: string) => fixturePath(`inventories/${name}`);
const inv = (name: string) => fixturePath(`inventory/${name}`);
const onPath = (cmd: string) => spawnSync("sh", ["-c", `command -v ${cmd}`]).status === 0;
const hasAnsible = onPath("ansible-inventory");
const hasSsh = onPath("ssh");

/** Ansible fixtures (file or folder) and whether ansible-inventory needs a script wrapper. */
const ANSIBLE = [
  "geerlingguy__ansible-for-devops__orchestration_hosts.ini",
  "openshift__openshift-ansible__inventory_hosts.example",
  "openshift__openshift-ansible__inventory_hosts.localhost",
  "mitogen-hq__mitogen__tests_ansible_hosts_transport_config.hosts",
  "mitogen-hq__mitogen__tests_ansible_hosts_default.hosts",
  "mitogen-hq__mitogen__tests_ansible_hosts_localhost.hosts.disabled",
  "kubernetes-sigs__kubespray__inventory_sample_inventory.ini",
  "k3s-io__k3s-ansible__inventory-sample.yml",
  "sonic-net__sonic-mgmt__ansible_lab",
  "nbering__terraform-inventory__sample_data_0.12.x_individual-vars_expect.json",
  "ceph__ceph-ansible__tests_functional_all_daemons",
  "relex__aini__test_data",
  "ansible__ansible-navigator__tests_fixtures_integration_actions_inventory_ansible_inventory",
];

interface ListJson {
  [group: string]: {
    hosts?: string[];
    children?: string[];
    hostvars?: Record<string, Record<string, unknown>>;
  };
}

/** `ansible-inventory --list` for a fixture: live when installed, else the committed copy. */
function ansibleList(name: string): ListJson {
  if (!hasAnsible) {
    return JSON.parse(readFileSync(real(`expected/${name}.json`), "utf8"));
  }
  let source = real(name);
  if (name.endsWith(".json")) {
    // A --list JSON is a dynamic inventory's output: Ansible reads it from a script.
    const dir = mkdtempSync(join(tmpdir(), "diagbot-inv-"));
    source = join(dir, "inventory.sh");
    writeFileSync(source, `#!/bin/sh\ncat '${real(name)}'\n`);
    chmodSync(source, 0o755);
  }
  const out = execFileSync("ansible-inventory", ["-i", source, "--list"], {
    encoding: "utf8",
    stdio: ["ignore", "pipe", "ignore"],
    env: { ...process.env, ANSIBLE_NOCOLOR: "1" },
  });
  return JSON.parse(out);
}

interface Expected {
  name: string;
  address: string;
  port: number;
  user: string;
  identityFile?: string;
  jump?: string;
  groups: string[];
  transport: string;
}

const templated = (v: unknown) => typeof v === "string" && /\{\{|\{%/.test(v);
/** The last of several names that is set and not a template (the ssh plugin's order). */
function last(vars: Record<string, unknown>, names: string[]): unknown {
  let out: unknown;
  for (const n of names) if (vars[n] !== undefined && !templated(vars[n])) out = vars[n];
  return out;
}

/** What diagbot must make of each host Ansible lists (hosts it cannot reach left out). */
function expectedHosts(list: ListJson, baseDir: string): Expected[] {
  const parents = new Map<string, string[]>();
  const direct = new Map<string, string[]>();
  for (const [group, body] of Object.entries(list)) {
    if (group === "_meta") continue;
    for (const c of body.children ?? []) parents.set(c, [...(parents.get(c) ?? []), group]);
    for (const h of body.hosts ?? []) direct.set(h, [...(direct.get(h) ?? []), group]);
  }
  const ancestors = (g: string, out: Set<string>): Set<string> => {
    if (out.has(g)) return out;
    out.add(g);
    for (const p of parents.get(g) ?? []) ancestors(p, out);
    return out;
  };
  const out: Expected[] = [];
  for (const [name, groups] of direct) {
    const vars = list._meta?.hostvars?.[name] ?? {};
    const connection = String(vars.ansible_connection ?? "ssh");
    if (!["ssh", "smart", "local"].includes(connection)) continue;
    if (!/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(name)) continue;
    const all = new Set<string>();
    for (const g of groups) ancestors(g, all);
    const key = last(vars, ["ansible_private_key_file", "ansible_ssh_private_key_file"]);
    const args = `${vars.ansible_ssh_common_args ?? ""} ${vars.ansible_ssh_extra_args ?? ""}`;
    const jump = /ProxyJump[= ]([^\s'",]+)|-J\s*([^\s'",]+)/.exec(args);
    out.push({
      name,
      address: String(last(vars, ["ansible_host", "ansible_ssh_host"]) ?? name),
      port: Number(last(vars, ["ansible_port", "ansible_ssh_port"]) ?? 22),
      user: String(last(vars, ["ansible_user", "ansible_ssh_user"]) ?? userInfo().username),
      identityFile:
        key === undefined
          ? undefined
          : String(key).startsWith("~/")
            ? join(homedir(), String(key).slice(2))
            : resolve(baseDir, String(key)),
      jump: jump ? (jump[1] ?? jump[2]).replace(/^.*@/, "").replace(/:.*$/, "") : undefined,
      groups: [...all].filter((g) => g !== "all" && g !== "ungrouped").sort(),
      transport: connection === "local" ? "local" : "ssh",
    });
  }
  return out.sort((a, b) => (a.name < b.name ? -1 : 1));
}

function actualHosts(inventory: Inventory): Expected[] {
  return [...inventory.hosts.values()]
    .map((h: HostConfig) => ({
      name: h.name,
      address: h.address,
      port: h.port,
      user: h.user,
      identityFile: h.identityFile,
      jump: h.jumpHost?.name,
      groups: [...h.groups].sort(),
      transport: h.transport,
    }))
    .sort((a, b) => (a.name < b.name ? -1 : 1));
}

describe("inventory import: real Ansible inventories against ansible-inventory --list", () => {
  it.each(ANSIBLE)("%s", async (name) => {
    const inventory = await loadInventory([real(name)]);
    const baseDir = existsSync(join(real(name), "group_vars")) ? real(name) : dirname(real(name));
    const expected = expectedHosts(ansibleList(name), baseDir);
    expect(actualHosts(inventory)).toEqual(expected);
  });

  it("warns, naming file and line, for what it cannot honour", async () => {
    const navigator = await loadInventory([real(ANSIBLE[12])]);
    const text = navigator.warnings.map(formatWarning).join("\n");
    expect(text).toMatch(
      /inventory\.yml:10: ansible_connection=ansible\.netcommon\.network_cli: .*host0101 left out/,
    );
    expect(text).toMatch(/inventory\.yml:17: ansible_become_pass: passwords are not used/);
    const mitogen = await loadInventory([real(ANSIBLE[4])]);
    expect(mitogen.warnings.map(formatWarning).join("\n")).toMatch(
      /default\.hosts:\d+: ansible_port: Jinja template "\{\{ 22 \| int \}\}" is not evaluated/,
    );
    // In the order of the file's lines, though its variables are read in passes.
    const lines = mitogen.warnings.map((w) => w.line ?? Number.POSITIVE_INFINITY);
    expect(lines.length).toBeGreaterThan(10);
    expect(lines).toEqual([...lines].sort((a, b) => a - b));
  });

  it("warns when one name is both a host and a group, as ansible-inventory does", async () => {
    const dir = mkdtempSync(join(tmpdir(), "diagbot-inv-clash-"));
    try {
      const file = join(dir, "hosts.ini");
      writeFileSync(file, "[web]\nweb ansible_host=10.0.0.5\nweb2 ansible_host=10.0.0.6\n");
      const inventory = await loadInventory([file]);
      expect(inventory.warnings.map(formatWarning).join("\n")).toContain(
        'hosts.ini: "web" names both a host and a group: `sweep web` sweeps the group (2 hosts), `diagnose web` the host; rename one',
      );
      if (hasAnsible) {
        const r = spawnSync("ansible-inventory", ["-i", file, "--list"], { encoding: "utf8" });
        expect(r.stderr).toMatch(/Found both group and host with same name: web/);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

/** `ssh -G -F FILE NAME`'s hostname, port, user and proxyjump. */
function sshG(file: string, name: string): Record<string, string | undefined> {
  const out = execFileSync("ssh", ["-G", "-F", file, "--", name], { encoding: "utf8" });
  const get = (k: string) => new RegExp(`^${k} (.*)$`, "m").exec(out)?.[1];
  return { address: get("hostname"), port: get("port"), user: get("user"), jump: get("proxyjump") };
}

describe.runIf(hasSsh)("inventory import: real ssh_config files against ssh -G", () => {
  const plain = [
    ["cyjake__ssh-config__test_fixture_config", ["tahoe1", "tahoe2"]],
    ["fabric__fabric__tests__support_ssh_config_proxyjump_multi.conf", ["runtime"]],
    ["kevinburke__ssh_config__testdata_config3", []],
    ["mwiede__jsch__src_test_resources_config_with_negations", []],
    ["kevinburke__ssh_config__testdata_config1", ["localhost", "127.0.0.1", "wap", "wopr"]],
  ] as const;
  it.each(plain)("%s", async (name, some) => {
    const inventory = await loadInventory([real(name)]);
    for (const n of some) expect(inventory.hosts.has(n), n).toBe(true);
    for (const host of inventory.hosts.values()) {
      const g = sshG(real(name), host.name);
      expect(host.address).toBe(g.address);
      expect(String(host.port)).toBe(g.port);
      expect(host.user).toBe(g.user);
      const hops = g.jump?.split(",");
      expect(host.jumpHost?.name).toBe(hops?.at(-1)?.replace(/^.*@/, "").replace(/:.*$/, ""));
    }
  });

  it("ends a Host line at a # comment, as argv_split does for ssh", async () => {
    const inventory = await loadInventory([real(plain[4][0])]);
    for (const word of ["#", "A", "comment", "there", "proxies"]) {
      expect(inventory.hosts.has(word), word).toBe(false);
    }
  });

  it("follows ProxyJump chains outermost first", async () => {
    const inventory = await loadInventory([real(plain[1][0])]);
    const runtime = inventory.hosts.get("runtime")!;
    const chain: string[] = [];
    for (let h = runtime.jumpHost; h; h = h.jumpHost) chain.push(`${h.user}@${h.name}:${h.port}`);
    expect(chain).toEqual([
      "jumpuser3@jumphost3:411",
      "jumpuser2@jumphost2:872",
      "jumpuser@jumphost:373",
    ]);
  });

  it("follows Include relative to the ssh folder, with globs and nesting", async () => {
    const dir = real("net-ssh__net-ssh__test_configs");
    const inventory = await loadInventory([join(dir, "include")], { sshDir: dir });
    // OpenSSH's reading (as net-ssh's own test expects): top-level Port and IdentityFile of
    // subset1 come first; conf.d/subset2's nested Include is relative to the ssh folder.
    expect([...inventory.hosts.values()]).toEqual([
      expect.objectContaining({
        name: "xyz",
        address: "example.com",
        port: 2345,
        user: "foo",
        identityFile: join(homedir(), ".ssh/id.pem"),
      }),
    ]);
    // Upstream points HOME at the folder above this one: a home whose .ssh is the fixture.
    const home = mkdtempSync(join(tmpdir(), "diagbot-home-"));
    symlinkSync(real("k1LoW__sshc__testdata_separate_.ssh"), join(home, ".ssh"));
    const k1 = await loadInventory([join(home, ".ssh/config")], { homeDir: home });
    expect(k1.hosts.get("server")?.address).toBe("172.30.0.3");
    expect(k1.hosts.has("simple")).toBe(true);
    expect(k1.hosts.get("bastion")?.user).toBe("user1");
  });

  it("warns for Match blocks and never runs Match exec", async () => {
    const inventory = await loadInventory([inv("malformed/match.ssh_config")]);
    expect(inventory.hosts.get("real")?.address).toBe("192.0.2.1");
    expect(inventory.warnings.map(formatWarning).join("\n")).toMatch(
      /match\.ssh_config:3: Match blocks are not supported/,
    );
    expect(existsSync("/tmp/diagbot-match-exec-ran")).toBe(false);
  });

  it("refuses what OpenSSH refuses, naming the original file", async () => {
    await expect(loadInventory([real("kevinburke__ssh_config__testdata_eqsign")])).rejects.toThrow(
      /testdata_eqsign: ssh -G test\.test rejects the config: .*line 3: Bad configuration option: port2/,
    );
  });
});

describe("inventory import: basic", () => {
  it("reads an Ansible folder: ranges, children, precedence, jumps, become", async () => {
    const inventory = await loadInventory([inv("basic/ansible")]);
    expect([...inventory.hosts.keys()]).toEqual([
      "bastion.example.net",
      "web01",
      "web02",
      "web03",
      "db-a.internal",
      "db-b.internal",
      "db-c.internal",
    ]);
    const web02 = inventory.hosts.get("web02")!;
    // group_vars/web (22) over group_vars/all (2022); the child group's user over prod's.
    expect(web02).toMatchObject({ address: "10.0.0.2", port: 22, user: "deploy", sudo: true });
    expect(web02.groups).toEqual(["prod", "web"]);
    expect(web02.jumpHost).toMatchObject({ name: "bastion.example.net", user: "ops", port: 2222 });
    const db = inventory.hosts.get("db-b.internal")!;
    expect(db).toMatchObject({
      port: 2200,
      user: "prod",
      identityFile: join(homedir(), ".ssh/db_ed25519"),
    });
    // -J names an inventory host: its own user and port apply.
    expect(db.jumpHost).toMatchObject({ name: "bastion.example.net", user: "jump", port: 2022 });
    expect(hostsOf(inventory, "prod").map((h) => h.name)).toHaveLength(6);
    expect(hostsOf(inventory, "all")).toHaveLength(7);
    expect(hostsOf(inventory, "web01").map((h) => h.name)).toEqual(["web01"]);
  });

  it("keeps a group without hosts, and naming it says it is empty", async () => {
    const dir = mkdtempSync(join(tmpdir(), "diagbot-test-empty-group-"));
    const file = join(dir, "hosts.ini");
    writeFileSync(
      file,
      "[web]\nweb1 ansible_host=192.0.2.1\n\n[empty]\n\n[parent:children]\nempty\n",
    );
    const inventory = await loadInventory([file]);
    expect(inventory.groups.get("empty")).toEqual([]);
    for (const group of ["empty", "parent"]) {
      expect(() => hostsOf(inventory, group)).toThrow(`host group "${group}" of `);
    }
    expect(() => hostsOf(inventory, "emptty")).toThrow(/unknown host or group "emptty"/);
    rmSync(dir, { recursive: true });
  });

  it("merges several files of different kinds; the first definition wins, with a warning", async () => {
    const inventory = await loadInventory(
      `${inv("basic/ansible.yml")}:${inv("basic/list.json")}:${inv("basic/inventory.yaml")}:${inv("basic/ssh/config")}`,
      { sshDir: inv("basic/ssh") },
    );
    expect(inventory.hosts.get("redis-x")).toMatchObject({
      address: "192.0.2.10",
      user: "ops",
      sudo: true,
    });
    expect(inventory.hosts.get("cache1")?.identityFile).toBe(inv("basic/keys/cache_ed25519"));
    expect(inventory.hosts.get("app-1")).toMatchObject({
      address: "198.51.100.1",
      port: 2222,
      user: "app",
    });
    expect(inventory.hosts.get("host-42")?.groups).toEqual(["web", "prod"]);
    expect(inventory.hosts.get("app-legacy")).toMatchObject({ address: "app-legacy.internal" });
    expect(inventory.hosts.get("app-legacy")?.jumpHost).toBeUndefined();
    expect(inventory.hosts.get("db-main")).toMatchObject({ address: "10.1.0.5", port: 5022 });
    expect(inventory.hosts.get("gw")?.identityFile).toBe(join(homedir(), ".ssh/fleet_ed25519"));
    const twice = inventory.warnings.find((w) => w.message.includes("app-1"));
    expect(formatWarning(twice!)).toMatch(
      /config: host app-1 is also defined in .*list\.json; the first/,
    );
  });

  it("reads replay hosts with their bundle folder", async () => {
    const inventory = await loadInventory([inv("basic/replay.yaml")]);
    expect(inventory.hosts.get("lab-7")).toMatchObject({
      transport: "replay",
      bundle: resolve(inv("basic"), "../../../../runbooks/examples/09-oom-memory-leak-tickrs"),
      groups: ["lab"],
    });
  });
});

describe("inventory import: empty, evil, malformed, missing", () => {
  it("empty files give no hosts; wildcard-only ssh Host blocks are defaults", async () => {
    expect((await loadInventory([inv("empty/ansible-empty.ini")])).hosts.size).toBe(0);
    expect((await loadInventory([inv("empty/ssh-defaults-only")])).hosts.size).toBe(0);
  });

  it("caps huge ranges with a clear error", async () => {
    await expect(loadInventory([inv("evil/huge-range.ini")])).rejects.toThrow(
      /huge-range\.ini: line 2: host range "h\[0:99999999\]": 100000000 hosts is more than 10000/,
    );
  });

  it("stops alias bombs", async () => {
    await expect(loadInventory([inv("evil/ansible-alias-bomb.yml")])).rejects.toThrow(/alias/i);
  });

  it("rejects names with shell metacharacters and ../ Includes, keeping the rest", async () => {
    const names = await loadInventory([inv("evil/shell-names.ini")]);
    expect([...names.hosts.keys()]).toEqual(["ok-1"]);
    expect(names.warnings.map(formatWarning)).toEqual([
      expect.stringMatching(/shell-names\.ini:3: host "\$\(reboot\)" is not a valid host name/),
      expect.stringMatching(/shell-names\.ini:4: host "a;rm" is not a valid host name/),
      expect.stringMatching(/shell-names\.ini:5: host "`id`" is not a valid host name/),
    ]);
    const ssh = await loadInventory([inv("evil/ssh/config")]);
    expect([...ssh.hosts.keys()]).toEqual(["fine"]);
    const text = ssh.warnings.map(formatWarning).join("\n");
    expect(text).toMatch(/config:1: Include ".*": paths with "\.\." are not followed/);
    expect(text).toMatch(/config:4: Host "bad\$\(id\)" is not a valid host name/);
  });

  it("warns for winrm, passwords, templates, su and vault", async () => {
    const inventory = await loadInventory([inv("evil/unsupported.ini")]);
    expect([...inventory.hosts.keys()]).toEqual(["lin-1"]);
    const text = inventory.warnings.map(formatWarning).join("\n");
    expect(text).toMatch(/unsupported\.ini:2: ansible_connection=winrm: .*win-1 left out/);
    expect(text).toMatch(/unsupported\.ini:2: ansible_password: passwords are not used/);
    expect(text).toMatch(/unsupported\.ini:5: ansible_host: Jinja template .* not evaluated/);
    expect(text).toMatch(/unsupported\.ini:5: ansible_become_method=su: diagbot uses sudo -n only/);
    const vault = await loadInventory([inv("evil/vault/hosts.yml")]);
    const v = vault.warnings.map(formatWarning).join("\n");
    expect(v).toMatch(/hosts\.yml:4: ansible_user: vault-encrypted value is not decrypted/);
    expect(v).toMatch(/group_vars\/all\.yml:1: vault-encrypted file is not decrypted/);
  });

  it("malformed files fail naming file and line", async () => {
    await expect(loadInventory([inv("malformed/bad-range.ini")])).rejects.toThrow(
      /bad-range\.ini: line 2: host range "web\[20:01\]": begin is after end/,
    );
    await expect(loadInventory([inv("malformed/unterminated.ini")])).rejects.toThrow(
      /unterminated\.ini: line 2: no closing quotation/,
    );
    await expect(loadInventory([inv("malformed/ansible-syntax.yml")])).rejects.toThrow(
      /ansible-syntax\.yml: YAML syntax/,
    );
  });

  it("missing: a replay host needs a bundle; a missing Include is warned", async () => {
    await expect(loadInventory([inv("missing/replay-without-bundle.yaml")])).rejects.toThrow(
      /hosts\.lab-0\.bundle: is required for transport: replay/,
    );
    const ssh = await loadInventory([inv("missing/ssh-include-missing")]);
    expect([...ssh.hosts.keys()]).toEqual(["only"]);
    expect(ssh.warnings.map(formatWarning).join("\n")).toMatch(
      /ssh-include-missing:1: Include "no-such-dir\/\*": no file matches/,
    );
    await expect(
      loadInventory([inv("missing/none.ini"), inv("basic/ansible.yml")]),
    ).rejects.toThrow(/none\.ini: cannot read the inventory/);
  });
});
