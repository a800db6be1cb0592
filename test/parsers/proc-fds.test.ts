import { describe, expect, it } from "vitest";
import { parseProcFds } from "../../src/parsers/proc-fds.js";
import { UnrecognisedOutputError } from "../../src/parsers/types.js";
import { parseFixture, parseText } from "../helpers/fixtures.js";

describe("proc-fds parser", () => {
  it("reads the collector's script as root (vm-debian12)", () => {
    const { facts, problems } = parseFixture(
      parseProcFds,
      "proc-fds/vm-debian12-k6.18__proc-fds.txt",
    );
    expect(problems).toEqual([]);
    expect(facts.rows).toHaveLength(50);
    expect(facts.rows[0]).toEqual({
      pid: 1,
      comm: "agentd",
      nfds: 85,
      soft_limit: 32768,
      hard_limit: 32768,
      soft_used_pct: 0.26,
    });
    expect(facts.rows.find((r) => r.pid === 4550)?.comm).toBe("npm exec tsc -p");
    // beam.smp: 35 fds against a soft limit of 1024 is the highest ratio
    expect(facts.worst).toMatchObject({
      pid: 2927,
      comm: "beam.smp",
      nfds: 35,
      soft_limit: 1024,
      hard_limit: 20000,
    });
    expect([facts.processes, facts.readable, facts.unreadable]).toEqual([105, 105, 0]);
  });

  it("reads the script's output as a user who cannot see other fd directories (vm-debian12)", () => {
    const { facts } = parseFixture(
      parseProcFds,
      "proc-fds/vm-debian12-k6.18__proc-fds-nonroot.txt",
    );
    expect([facts.processes, facts.readable, facts.unreadable]).toEqual([108, 5, 103]);
    expect(facts.rows.find((r) => r.pid === 1)).toEqual({
      pid: 1,
      comm: "agentd",
      nfds: null,
      soft_limit: 32768,
      hard_limit: 32768,
    });
    expect(facts.rows.find((r) => r.pid === 3764)?.nfds).toBeNull();
    expect(facts.worst).toMatchObject({ pid: 4723, comm: "sh", nfds: 7, soft_limit: 1024 });
  });

  it("maps permuted columns, unlimited limits, header-less lines and a prompt", () => {
    const text = [
      "# sh proc-fds.sh",
      "PID COMM NFDS SOFT HARD",
      "812 Web Content 1021 1024 4096",
      "9 kthreadd 0 unlimited unlimited",
    ].join("\n");
    const { facts, problems } = parseText(parseProcFds, text);
    expect(facts.rows[0]).toEqual({
      pid: 812,
      comm: "Web Content",
      nfds: 1021,
      soft_limit: 1024,
      hard_limit: 4096,
      soft_used_pct: 99.71,
    });
    expect(facts.rows[1]).toEqual({
      pid: 9,
      comm: "kthreadd",
      nfds: 0,
      soft_limit: null,
      hard_limit: null,
    });
    expect(facts.worst?.pid).toBe(812);
    expect(problems).toEqual([expect.objectContaining({ line: 1, text: "# sh proc-fds.sh" })]);
    expect(parseText(parseProcFds, "77 1000 1024 1024 java\n").facts.rows[0].comm).toBe("java");
  });

  it("keeps the first line of a pid listed twice (top 50 and a target)", () => {
    const { facts } = parseText(
      parseProcFds,
      "PID NFDS SOFT HARD COMM\n5 10 1024 1024 a\n5 10 1024 1024 a\n",
    );
    expect(facts.rows).toHaveLength(1);
  });

  it("accepts a header alone and rejects empty and garbage input", () => {
    expect(parseText(parseProcFds, "PID NFDS SOFT HARD COMM\n").facts.rows).toEqual([]);
    expect(() => parseText(parseProcFds, "")).toThrow(UnrecognisedOutputError);
    expect(() => parseText(parseProcFds, "\u0000\u00ff garbage\nx y z\n")).toThrow(
      UnrecognisedOutputError,
    );
  });
});
