import { homedir } from "node:os";
import { dirname, join } from "node:path";
import { describe, expect, it } from "vitest";
import {
  closestNames,
  hostsInGroup,
  isValidAddress,
  loadInventory,
  parseInventory,
  resolveHost,
  resolveTarget,
} from "../../src/inventory/index.js";
import { DiagbotError } from "../../src/model/errors.js";
import { fixturePath } from "../helpers/fixtures.js";

const inv = (relative: string) => fixturePath(`inventory/${relative}`);

/** Loads a fixture and returns the DiagbotError it throws. */
async function loadError(relative: string): Promise<DiagbotError> {
  const err = await loadInventory(inv(relative)).then(
    () => null,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(DiagbotError);
  return err as DiagbotError;
}

describe("inventory: basic", () => {
  it("applies defaults, expands ~, resolves relative paths from the file's folder", async () => {
    const inventory = await loadInventory(inv("basic/inventory.yaml"));
    expect([...inventory.hosts.keys()]).toEqual([
      "host-42",
      "db-1",
      "bastion",
      "build-box",
      "web-1.example.com",
      "v6-host",
      "inner",
    ]);
    const h42 = inventory.hosts.get("host-42")!;
    expect(h42).toEqual({
      name: "host-42",
      address: "10.0.4.42",
      port: 22,
      user: "diag",
      identityFile: join(homedir(), ".ssh/diagbot_ed25519"),
      knownHosts: join(homedir(), ".ssh/known_hosts"),
      sudo: false,
      maxSessions: 8,
      transport: "ssh",
      groups: ["web", "prod"],
    });
    const v6 = inventory.hosts.get("v6-host")!;
    expect(v6.address).toBe("2001:db8::7");
    expect(v6.identityFile).toBe(join(dirname(inv("basic/inventory.yaml")), "keys/v6_ed25519"));
    expect(v6.knownHosts).toBe("/etc/diagbot/known_hosts");
    const web = inventory.hosts.get("web-1.example.com")!;
    expect(web).toMatchObject({
      address: "web-1.example.com",
      sudo: true,
      maxSessions: 2,
      user: "ops",
    });
    expect(inventory.hosts.get("build-box")!.transport).toBe("local");
  });

  it("links jump hosts, two hops deep", async () => {
    const inventory = await loadInventory(inv("basic/inventory.yaml"));
    const inner = inventory.hosts.get("inner")!;
    expect(inner.jumpHost?.name).toBe("db-1");
    expect(inner.jumpHost?.port).toBe(2222);
    expect(inner.jumpHost?.jumpHost?.name).toBe("bastion");
    expect(inner.jumpHost?.jumpHost?.jumpHost).toBeUndefined();
    expect(inventory.hosts.get("bastion")!.jumpHost).toBeUndefined();
  });

  it("indexes groups in file order", async () => {
    const inventory = await loadInventory(inv("basic/inventory.yaml"));
    expect(inventory.groups.get("web")).toEqual(["host-42", "web-1.example.com"]);
    expect(hostsInGroup(inventory, "prod").map((h) => h.name)).toEqual(["host-42", "db-1"]);
    expect(() => hostsInGroup(inventory, "dbs")).toThrow(/unknown host group "dbs"/);
  });

  it("resolves targets; an unknown name lists the closest known names", async () => {
    const inventory = await loadInventory(inv("basic/inventory.yaml"));
    expect(resolveHost(inventory, "db-1").address).toBe("db-1.internal");
    let err: unknown;
    try {
      resolveHost(inventory, "db-2");
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(DiagbotError);
    const e = err as DiagbotError;
    expect(e.code).toBe("unknown-host");
    expect(e.retryable).toBe(false);
    expect(e.message).toContain('"db-2"');
    expect(e.hint).toBe("closest known names: db-1");
    // Prototype property names are not hosts.
    expect(() => resolveHost(inventory, "constructor")).toThrow(DiagbotError);
    expect(() => resolveHost(inventory, "__proto__")).toThrow(DiagbotError);
  });

  it("resolves `local` without any inventory, and reads DIAGBOT_INVENTORY otherwise", async () => {
    const local = await resolveTarget("local", {
      env: { DIAGBOT_INVENTORY: "/nonexistent/inventory.yaml" },
    });
    expect(local).toMatchObject({ name: "local", transport: "local", maxSessions: 8 });
    const host = await resolveTarget("bastion", {
      env: { DIAGBOT_INVENTORY: inv("basic/inventory.yaml") },
    });
    expect(host.address).toBe("bastion.example.net");
    await expect(
      resolveTarget("bastoin", { env: { DIAGBOT_INVENTORY: inv("basic/inventory.yaml") } }),
    ).rejects.toMatchObject({
      code: "unknown-host",
      hint: "closest known names: bastion, build-box",
    });
  });
});

describe("closestNames", () => {
  it("orders by shared prefix, then edit distance, and keeps at most 20", () => {
    const names = Array.from({ length: 50 }, (_, i) => `web-${i}`).concat(["db-1", "wbe-1"]);
    const near = closestNames("web-1", names);
    expect(near).toHaveLength(20);
    expect(near[0]).toBe("web-1");
    expect(near.slice(1, 12)).toEqual(expect.arrayContaining(["web-10", "web-11", "web-19"]));
    expect(closestNames("wbe-2", ["wbe-1", "db-1"])).toEqual(["wbe-1"]);
    expect(closestNames("hsot-42", ["host-42", "zzz"])).toEqual(["host-42"]);
    expect(closestNames("zzz-9", ["host-42"])).toEqual([]);
  });
});

describe("inventory: empty", () => {
  it.each([
    "empty/empty.yaml",
    "empty/comments.yaml",
    "empty/null-hosts.yaml",
    "empty/empty-hosts.yaml",
    "empty/document-markers.yaml",
  ])("%s is a valid inventory with no hosts", async (file) => {
    const inventory = await loadInventory(inv(file));
    expect(inventory.hosts.size).toBe(0);
    const err = (() => {
      try {
        resolveHost(inventory, "web-1");
      } catch (e) {
        return e as DiagbotError;
      }
    })();
    expect(err?.code).toBe("unknown-host");
    expect(err?.hint).toMatch(/has no hosts/);
  });
});

describe("inventory: evil", () => {
  it("refuses a YAML alias bomb quickly", async () => {
    const started = performance.now();
    const err = await loadError("evil/alias-bomb.yaml");
    expect(performance.now() - started).toBeLessThan(2000);
    expect(err.code).toBe("config");
    expect(err.message).toMatch(/alias-bomb\.yaml: YAML: Excessive alias count/);
  });

  it("refuses deeply nested YAML without crashing", () => {
    const text = `hosts: ${"[".repeat(30_000)}${"]".repeat(30_000)}`;
    expect(() => parseInventory(text, { file: "deep.yaml" })).toThrow(/^deep\.yaml: /);
  });

  it("rejects __proto__ as a host name, a field and a top-level key, and pollutes nothing", async () => {
    expect((await loadError("evil/proto-host.yaml")).message).toMatch(
      /hosts\.__proto__: expected a host name .*got "__proto__"/,
    );
    expect((await loadError("evil/proto-field.yaml")).message).toMatch(
      /hosts\.web-1: unknown field "__proto__"/,
    );
    expect((await loadError("evil/proto-top.yaml")).message).toMatch(
      /\(top level\): unknown field "__proto__"/,
    );
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(({} as Record<string, unknown>).sudo).toBeUndefined();
  });

  it("treats Object.prototype names as ordinary host names", async () => {
    const inventory = await loadInventory(inv("evil/constructor-host.yaml"));
    expect(resolveHost(inventory, "constructor").address).toBe("10.0.0.3");
    expect(resolveHost(inventory, "toString").address).toBe("10.0.0.4");
    expect(resolveHost(inventory, "valueOf")).toMatchObject({ address: "valueOf", port: 22 });
    expect(() => resolveHost(inventory, "hasOwnProperty")).toThrow(DiagbotError);
  });

  it("rejects out-of-range ports and session counts, naming host, field and value", async () => {
    const err = await loadError("evil/huge-port.yaml");
    const lines = err.message.split("\n");
    expect(lines).toEqual([
      expect.stringMatching(
        /huge-port\.yaml: hosts\.web-1\.port: expected a number from 1 to 65535, got 1e\+23$/,
      ),
      expect.stringMatching(/hosts\.web-2\.port: expected a number from 1 to 65535, got 65536$/),
      expect.stringMatching(/hosts\.web-3\.port: .* got -22$/),
      expect.stringMatching(/hosts\.web-4\.port: .* got 22\.5$/),
      expect.stringMatching(
        /hosts\.web-5\.maxSessions: expected a whole number from 1 to 64, got 100000$/,
      ),
    ]);
  });

  it("rejects addresses that are not a hostname or an IP literal", async () => {
    const err = await loadError("evil/shell-address.yaml");
    for (const host of ["web-1", "web-2", "web-3", "web-4", "web-5", "web-6", "web-7", "web-8"]) {
      expect(err.message).toMatch(
        new RegExp(`hosts\\.${host}\\.address: expected a hostname or an IP address, got "`),
      );
    }
    // Control characters are shown escaped, never raw.
    expect(err.message).toContain('got "evil\\nhost"');
  });

  it("rejects bad host names, login names and group names, and the reserved name local", async () => {
    const err = await loadError("evil/bad-names.yaml");
    expect(err.message).toContain('hosts["-oProxyCommand=x"]: expected a host name');
    expect(err.message).toContain('hosts["web 1"]: expected a host name');
    expect(err.message).toContain('hosts["../etc"]: expected a host name');
    expect(err.message).toContain("hosts.good-1.user: expected a login name");
    expect(err.message).toContain("hosts.good-1.groups.1: expected a group name");
    expect((await loadError("evil/local-name.yaml")).message).toMatch(
      /hosts\.local: "local" is reserved/,
    );
  });

  it("accepts hostnames and IP literals as addresses", () => {
    for (const ok of [
      "10.0.0.1",
      "::1",
      "2001:db8::7",
      "db-1.internal",
      "a",
      "host_1.example.com.",
      "fe80::1%eth0",
    ]) {
      expect(isValidAddress(ok), ok).toBe(true);
    }
    for (const bad of ["", "-x", "a..b", "a b", "1.2.3.999", "x;y", "[::1]", "a".repeat(64)]) {
      expect(isValidAddress(bad), bad).toBe(false);
    }
  });
});

describe("inventory: malformed", () => {
  it("reports YAML syntax errors with the line", async () => {
    const err = await loadError("malformed/syntax.yaml");
    expect(err.code).toBe("config");
    expect(err.message).toMatch(/syntax\.yaml: YAML syntax: .*line \d+/);
    expect((await loadError("malformed/duplicate-keys.yaml")).message).toMatch(
      /Map keys must be unique at line 4/,
    );
  });

  it("names the file, the host, the field and the value of wrong types", async () => {
    const err = await loadError("malformed/wrong-types.yaml");
    const file = "wrong-types.yaml";
    expect(err.message).toContain(`${file}: defaults.sudo: expected true or false, got "yes"`);
    expect(err.message).toContain(
      `${file}: hosts.db-1.port: expected a number from 1 to 65535, got "x"`,
    );
    expect(err.message).toContain(
      `${file}: hosts.web-1.groups: expected a list of group names, got "web"`,
    );
    expect(err.message).toContain(
      `${file}: hosts.web-2.transport: expected "ssh", "local" or "replay", got "telnet"`,
    );
  });

  it("rejects unknown keys in defaults and hosts, listing the known ones", async () => {
    const err = await loadError("malformed/unknown-key.yaml");
    expect(err.message).toMatch(/defaults: unknown field "usr" \(known: user, port,/);
    expect(err.message).toMatch(/hosts\.db-1: unknown field "prot"/);
  });

  it("rejects shapes that are not mappings, and ~user paths", async () => {
    expect((await loadError("malformed/top-list.yaml")).message).toMatch(
      /\(top level\): expected a mapping .* got a list/,
    );
    expect((await loadError("malformed/hosts-list.yaml")).message).toMatch(
      /hosts: expected a mapping of fields, got a list/,
    );
    expect((await loadError("malformed/host-scalar.yaml")).message).toMatch(
      /hosts\.web-1: expected a mapping of fields, got "10\.0\.0\.1"/,
    );
    const tilde = (await loadError("malformed/tilde-user.yaml")).message;
    expect(tilde).toMatch(/hosts\.db-1\.identityFile: only "~" and "~\/\.\.\." are expanded/);
    expect(tilde).toMatch(/hosts\.db-2\.knownHosts: only "~" and "~\/\.\.\." are expanded/);
  });
});

describe("inventory: missing", () => {
  it("a missing file is a config error naming it, with a hint", async () => {
    const err = await loadError("missing/no-such-inventory.yaml");
    expect(err.code).toBe("config");
    expect(err.message).toMatch(/no-such-inventory\.yaml: cannot read the inventory: no such file/);
    expect(err.hint).toMatch(/DIAGBOT_INVENTORY/);
    await expect(
      resolveTarget("web-1", { inventoryPath: inv("missing/nope.yaml") }),
    ).rejects.toMatchObject({
      code: "config",
    });
  });

  it("a jumpHost that is not in the inventory is an error, with the closest name", async () => {
    const err = await loadError("missing/jump-missing.yaml");
    expect(err.message).toMatch(
      /hosts\.db-1\.jumpHost: "bastoin" is not a host of this inventory \(closest: bastion\)/,
    );
  });

  it("jump cycles, self-jumps and jumps through local hosts are errors", async () => {
    const cycle = await loadError("missing/jump-cycle.yaml");
    expect(cycle.message.split("\n")).toHaveLength(1);
    expect(cycle.message).toMatch(/jump cycle a -> b -> c -> a/);
    expect((await loadError("missing/jump-self.yaml")).message).toMatch(/its own jump host/);
    expect((await loadError("missing/jump-local.yaml")).message).toMatch(
      /"box" has transport: local and cannot be a jump host/,
    );
  });

  it("a host without an address needs a name that is a hostname", async () => {
    expect((await loadError("missing/no-address.yaml")).message).toMatch(
      /hosts\.db\.\.1\.address: is required/,
    );
  });
});

describe("parseInventory", () => {
  it("uses the given home folder and default user", () => {
    const inventory = parseInventory(
      "defaults:\n  identityFile: ~/k\nhosts:\n  a:\n    address: 10.1.1.1\n",
      { file: "x.yaml", baseDir: "/srv", homeDir: "/home/bot", defaultUser: "bot" },
    );
    expect(inventory.hosts.get("a")).toMatchObject({
      identityFile: "/home/bot/k",
      knownHosts: "/home/bot/.ssh/known_hosts",
      user: "bot",
    });
    expect(inventory.path).toBe("/srv/x.yaml");
  });

  it("caps the number of reported problems", () => {
    const hosts = Array.from({ length: 30 }, (_, i) => `  h${i}:\n    port: 0\n`).join("");
    let err: DiagbotError | undefined;
    try {
      parseInventory(`hosts:\n${hosts}`, { file: "big.yaml" });
    } catch (e) {
      err = e as DiagbotError;
    }
    const lines = err!.message.split("\n");
    expect(lines).toHaveLength(21);
    expect(lines[20]).toBe("big.yaml: ... and 10 more");
  });
});

describe("inventory: messages", () => {
  it("reports a bad default once, not once per host", () => {
    let err: DiagbotError | undefined;
    try {
      parseInventory(
        "defaults:\n  identityFile: ~bob/k\nhosts:\n  a:\n    address: 10.0.0.1\n  b:\n    address: 10.0.0.2\n",
        { file: "d.yaml" },
      );
    } catch (e) {
      err = e as DiagbotError;
    }
    expect(err?.message).toBe(
      'd.yaml: defaults.identityFile: only "~" and "~/..." are expanded, got "~bob/k"',
    );
  });
});
