import { describe, expect, it } from "vitest";
import { failureLines } from "../../src/sweeps/terminal.js";
import type { HostResult } from "../../src/sweeps/types.js";

const refused = (host: string, port: number): HostResult => ({
  host,
  status: "failed",
  findings: [],
  durationMs: 1,
  error: `cannot read known_hosts /root/.ssh/known_hosts for ${host}: no such file`,
  hint: `run: ssh-keyscan -p ${port} 10.0.0.1 >> /root/.ssh/known_hosts`,
  errorCode: "host-key-refused",
});

describe("the hosts that did not answer, on standard error", () => {
  it("gives each way of failing once in full, and the other hosts that failed so by name", () => {
    const hosts: HostResult[] = [
      { host: "ok-1", status: "ok", findings: [], durationMs: 1 },
      ...Array.from({ length: 25 }, (_, i) => refused(`web-${i}`, 2200 + i)),
      {
        host: "db-1",
        status: "unreachable",
        findings: [],
        durationMs: 1,
        error: "connection refused by 10.0.0.9:22 (db-1)",
        errorCode: "connect-failed",
      },
    ];
    const lines = failureLines(hosts).split("\n");
    expect(lines).toEqual([
      `diagbot: web-0: failed: ${refused("web-0", 0).error}`,
      "  hint: run: ssh-keyscan -p 2200 10.0.0.1 >> /root/.ssh/known_hosts",
      `diagbot: 24 more hosts failed the same way (host-key-refused): ${Array.from({ length: 20 }, (_, i) => `web-${i + 1}`).join(", ")}, and 4 more; each one's reason is in the table, or the JSON`,
      "diagbot: db-1: unreachable: connection refused by 10.0.0.9:22 (db-1)",
      "",
    ]);
  });

  it("says nothing when every host answered, and escapes control characters in names", () => {
    expect(failureLines([{ host: "a", status: "ok", findings: [], durationMs: 1 }])).toBe("");
    const text = failureLines([refused("evil\u001b[2Jhost", 22), refused("b", 23)]);
    expect(text).not.toContain("\u001b");
    expect(text).toContain("1 more host failed the same way (host-key-refused): b;");
  });
});
