import { describe, expect, it } from "vitest";
import { parseConntrackStats } from "../../src/parsers/conntrack-stats.js";
import { UnrecognisedOutputError } from "../../src/parsers/types.js";
import { parseFixture, parseText } from "../helpers/fixtures.js";

describe("conntrack-stats parser", () => {
  it("reads old conntrack -S pasted with its prompt (scenario 32)", () => {
    const { facts, problems } = parseFixture(
      parseConntrackStats,
      "conntrack-stats/scenario-32__weave-issue-3287__conntrack-S.txt",
    );
    expect(problems).toEqual([
      expect.objectContaining({ line: 1, text: "/home/weave # conntrack -S" }),
    ]);
    expect(facts.loaded).toBe(true);
    expect(facts.cpus).toHaveLength(2);
    expect(facts.cpus[0]).toMatchObject({
      cpu: 0,
      searched: 630288,
      insert_failed: 92,
      delete_list: 1408867,
    });
    expect(facts.cpus[1]).toMatchObject({
      cpu: 1,
      found: 28126666,
      insert_failed: 107,
      invalid: 74,
    });
    expect(facts.totals.insert_failed).toBe(199);
    expect(facts.totals.drop).toBe(0);
    expect(facts.totals.early_drop).toBe(0);
    expect(facts.totals.invalid).toBe(108);
    expect(facts.totals.cpu).toBeUndefined();
  });

  it("reads new conntrack -S with clash_resolve and chaintoolong (vm-debian12)", () => {
    const { facts, problems } = parseFixture(
      parseConntrackStats,
      "conntrack-stats/vm-debian12-k6.18__conntrack-S.txt",
    );
    expect(problems).toEqual([]);
    expect(facts.cpus.map((c) => c.cpu)).toEqual([0, 1]);
    expect(facts.cpus[1]).toEqual({
      cpu: 1,
      found: 0,
      invalid: 0,
      insert: 0,
      insert_failed: 0,
      drop: 0,
      early_drop: 0,
      error: 0,
      search_restart: 0,
      clash_resolve: 0,
      chaintoolong: 0,
    });
    expect(facts.totals.chaintoolong).toBe(0);
  });

  it("reads the collector's /proc/net/stat/nf_conntrack with names mapped (vm-debian12)", () => {
    const { facts, problems } = parseFixture(
      parseConntrackStats,
      "conntrack-stats/vm-debian12-k6.18__proc-net-stat-nf_conntrack.txt",
    );
    expect(problems).toEqual([]);
    expect(facts.entries).toBe(0);
    expect(facts.cpus).toHaveLength(2);
    expect(Object.keys(facts.totals)).toEqual([
      "clash_resolve",
      "found",
      "new",
      "invalid",
      "ignore",
      "delete",
      "chaintoolong",
      "insert",
      "insert_failed",
      "drop",
      "early_drop",
      "error",
      "expect_new",
      "expect_create",
      "expect_delete",
      "search_restart",
    ]);
  });

  it("reads hexadecimal /proc rows and sums them per counter", () => {
    const text = [
      "entries  searched found new invalid ignore delete delete_list insert insert_failed drop early_drop icmp_error  expect_new expect_create expect_delete search_restart",
      "0000fff0  00000000 00000010 00000000 00000003 00000000 00000000 00000000 00000000 0000000c 000000ff 00000001 00000000  00000000 00000000 00000000 00000000",
      "0000fff0  00000000 00000020 00000000 00000001 00000000 00000000 00000000 00000000 00000004 00000001 00000000 00000002  00000000 00000000 00000000 00000000",
    ].join("\n");
    const { facts } = parseText(parseConntrackStats, text);
    expect(facts.entries).toBe(0xfff0);
    expect(facts.totals).toMatchObject({
      found: 0x30,
      invalid: 4,
      insert_failed: 16,
      drop: 256,
      early_drop: 1,
      error: 2,
    });
    expect(facts.cpus[1]).toMatchObject({ cpu: 1, drop: 1 });
  });

  it("says loaded: false for the collector's marker with no file under it", () => {
    expect(parseText(parseConntrackStats, "==> /proc/net/stat/nf_conntrack <==\n")).toEqual({
      facts: { loaded: false, cpus: [], totals: {} },
      problems: [],
    });
  });

  it("rejects empty and garbage input with the documented error", () => {
    expect(() => parseText(parseConntrackStats, "")).toThrow(UnrecognisedOutputError);
    expect(() => parseText(parseConntrackStats, "\u0000\u00ff garbage\ncpu=x\n")).toThrow(
      UnrecognisedOutputError,
    );
  });
});
