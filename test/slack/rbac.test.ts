import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { allows, loadRbac, parseRbac } from "../../src/access/rbac.js";

/** DIAGBOT_RBAC: the defaults, and the basic / empty / evil / malformed / missing files. */
describe("RBAC", () => {
  const dir = mkdtempSync(join(tmpdir(), "diagbot-rbac-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const file = (name: string, text: string) => {
    const path = join(dir, name);
    writeFileSync(path, text);
    return path;
  };
  const web = { groups: ["web"] };
  const db = { groups: ["db", "prod"] };

  it("defaults: cheap and sampling on every host for everyone, intrusive denied, with a warning", async () => {
    const warnings: string[] = [];
    const rbac = await loadRbac({}, (m) => warnings.push(m));
    const access = rbac.access({ user: "U1" });
    expect(allows(access, web, false)).toBe(true);
    expect(allows(access, db, false)).toBe(true);
    expect(allows(access, db, true)).toBe(false);
    expect(warnings[0]).toMatch(/intrusive collectors are denied/);
  });

  it("basic: the union of roles from user, user group, channel and default", async () => {
    const rbac = await loadRbac({
      DIAGBOT_RBAC: file(
        "basic.yaml",
        [
          "roles:",
          "  viewer: { hostGroups: [web], costClasses: [cheap, sampling] }",
          "  dba: { hostGroups: [db], costClasses: [cheap, sampling, intrusive] }",
          "bindings:",
          "  - { role: dba, users: [U2] }",
          "  - { role: dba, usergroups: [S1] }",
          "  - { role: dba, channels: [CDB] }",
          "default: viewer",
        ].join("\n"),
      ),
    });
    expect(rbac.usergroups).toEqual(["S1"]);
    const anyone = rbac.access({ user: "U1", channel: "C1" });
    expect([allows(anyone, web, false), allows(anyone, db, false)]).toEqual([true, false]);
    for (const access of [
      rbac.access({ user: "U2" }),
      rbac.access({ user: "U3" }, ["S1"]),
      rbac.access({ user: "U4", channel: "CDB" }),
    ]) {
      expect(allows(access, db, true)).toBe(true);
      expect(allows(access, web, true)).toBe(false);
      expect(allows(access, web, false)).toBe(true);
    }
  });

  it("empty: no roles is an error naming the field", () => {
    expect(() => parseRbac("", "empty.yaml")).toThrow(/empty.yaml: roles: Required/);
  });

  it("evil: unknown keys and unknown roles are refused, not ignored", () => {
    expect(() =>
      parseRbac(
        "roles:\n  a: { hostGroups: ['*'], costClasses: [cheap], admin: true }\n",
        "evil.yaml",
      ),
    ).toThrow(/evil.yaml: roles.a: Unrecognized key/);
    expect(() =>
      parseRbac("roles:\n  a: { hostGroups: ['*'], costClasses: [root] }\n", "evil.yaml"),
    ).toThrow(/costClasses/);
    expect(() =>
      parseRbac(
        "roles:\n  a: { hostGroups: ['*'], costClasses: [cheap] }\nbindings:\n  - { role: god, users: [U1] }\n",
        "evil.yaml",
      ),
    ).toThrow(/bindings.0.role: unknown role "god"/);
    expect(() =>
      parseRbac(
        "roles:\n  __proto__: { hostGroups: ['*'], costClasses: [cheap] }\ndefault: constructor\n",
        "evil.yaml",
      ),
    ).toThrow(/unknown role "constructor"/);
  });

  it("malformed: YAML errors name the file", () => {
    expect(() => parseRbac("roles: [\n", "bad.yaml")).toThrow(/bad.yaml: not valid YAML/);
  });

  it("missing: a file that cannot be read is a config error naming it", async () => {
    await expect(loadRbac({ DIAGBOT_RBAC: join(dir, "nope.yaml") })).rejects.toThrow(
      /nope.yaml: cannot read the access rules/,
    );
  });
});
