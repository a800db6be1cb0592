import { describe, expect, it } from "vitest";
import { loadRunbooks } from "../../src/runbooks/load.js";
import { findingKey, normaliseSubject, renderSubject } from "../../src/runbooks/subject.js";

describe("finding subjects and keys", () => {
  it("percent-encodes slashes, spaces and percent signs; keeps devices and addresses", () => {
    expect(normaliseSubject("/")).toBe("%2F");
    expect(normaliseSubject("/var/lib/postgresql")).toBe("%2Fvar%2Flib%2Fpostgresql");
    expect(normaliseSubject("  my  app 100% ")).toBe("my%20app%20100%25");
    expect(normaliseSubject("sda")).toBe("sda");
    expect(normaliseSubject("[::]:443")).toBe("[::]:443");
    expect(normaliseSubject("kworker/0:1H")).toBe("kworker%2F0:1H");
    expect(decodeURIComponent(normaliseSubject("/sys/fs/cgroup/a b"))).toBe("/sys/fs/cgroup/a b");
  });

  it("an empty subject is the host; a long one is cut, never inside an escape", () => {
    expect(normaliseSubject("")).toBe("host");
    expect(renderSubject("host", {})).toBe("host");
    expect(renderSubject("{{fs.worst.mount}}", {})).toBe("host");
    const long = normaliseSubject("/a".repeat(200));
    expect(long.length).toBeLessThanOrEqual(200);
    expect(long).toMatch(/^(%2Fa)+$/);
  });

  it("renders from facts and keys as host/rule/subject", () => {
    const view = { fs: { worst: { mount: "/srv/data" } } };
    const subject = renderSubject("{{fs.worst.mount}}", view);
    expect(findingKey("web-01", "filesystem-full", subject)).toBe(
      "web-01/filesystem-full/%2Fsrv%2Fdata",
    );
  });

  it("redacts a secret before encoding it: once encoded, the redactor could not see it", () => {
    const token = "ghp_16C7e42F292c6912E7710c838347Ae178B4a";
    for (const memcg of [`/${token}`, "/app/api_key=SuperSecretValue123"]) {
      const key = findingKey(
        "db-1",
        "memory-oom",
        renderSubject("{{oom.memcg}}", { oom: { memcg } }),
      );
      expect(key).toMatch(/^db-1\/memory-oom\/%2F.*\[REDACTED\]$/);
      expect(key).not.toMatch(/ghp_|SuperSecret/);
    }
  });

  it("every shipped rule names its subject", async () => {
    const rules = await loadRunbooks();
    expect(rules.length).toBeGreaterThan(30);
    expect(rules.filter((r) => r.subject === undefined).map((r) => r.id)).toEqual([]);
  });
});
