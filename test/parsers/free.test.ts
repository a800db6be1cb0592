import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { parseFree } from "../../src/parsers/free.js";
import { UnrecognisedOutputError } from "../../src/parsers/types.js";
import { parseFixture, parseText, readFixture } from "../helpers/fixtures.js";

const f = (name: string) => parseFixture(parseFree, `free/${name}`);
const KiB = 1024;

describe("free parser", () => {
  it("reads -w (buffers and cache apart), KiB by default (CentOS 7)", () => {
    const { facts, problems } = f("jc__centos-7.7__free-w.out.txt");
    expect(facts.unit).toBe("KiB");
    expect(facts.unit_source).toBe("default");
    expect(facts.mem_buffers_bytes).toBe(61596 * KiB);
    expect(facts.mem_cache_bytes).toBe(898640 * KiB);
    expect(facts.mem_buff_cache_bytes).toBe((61596 + 898640) * KiB);
    expect(facts.mem_available_bytes).toBe(6483996 * KiB);
    expect(problems).toEqual([]);
  });

  it("reads the default table (CentOS 7)", () => {
    const { facts } = f("jc__centos-7.7__free.out.txt");
    expect(facts.mem_total_bytes).toBe(3861332 * KiB);
    expect(facts.mem_buff_cache_bytes).toBe(274336 * KiB);
    expect(facts.swap_total_bytes).toBe(2097148 * KiB);
    expect(facts.swap_used_pct).toBe(0);
  });

  it("reads -h sizes (Ubuntu 18.04)", () => {
    const { facts } = f("jc__ubuntu-18.04__free-h.out.txt");
    expect(facts.unit).toBe("human");
    expect(facts.mem_total_bytes).toBe(Math.round(1.9 * 1024 ** 3));
    expect(facts.mem_used_bytes).toBe(237 * 1024 ** 2);
    expect(facts.mem_shared_bytes).toBe(Math.round(1.2 * 1024 ** 2));
    expect(facts.swap_used_bytes).toBe(268 * KiB);
  });

  it("reads -w (Ubuntu 18.04)", () => {
    const { facts } = f("jc__ubuntu-18.04__free-w.out.txt");
    expect(facts.mem_used_bytes).toBe(1262704 * KiB);
    expect(facts.mem_shared_bytes).toBe(60576 * KiB);
    expect(facts.swap_free_bytes).toBe(2097152 * KiB);
  });

  it("reads the default table (Ubuntu 18.04)", () => {
    const { facts } = f("jc__ubuntu-18.04__free.out.txt");
    expect(facts.mem_used_bytes).toBe(242740 * KiB);
    expect(facts.swap_used_bytes).toBe(268 * KiB);
    expect(facts.mem_available_bytes).toBe(1585920 * KiB);
    expect(facts.mem_available_pct).toBe(78.62);
  });

  it("recognises free -b by its multiples of 1024 (this project's VM)", () => {
    const { facts } = f("vm-debian12-k6.18__free-b.txt");
    expect(facts.unit).toBe("bytes");
    expect(facts.unit_source).toBe("multiple-of-1024");
    expect(facts.mem_total_bytes).toBe(25276510208);
    expect(facts.mem_free_bytes).toBe(22652530688);
    expect(facts.mem_available_bytes).toBe(24583507968);
    expect(facts.swap_total_bytes).toBe(0);
    expect(facts.swap_used_pct).toBeUndefined();
  });

  it("reads a 256 GiB host (yardstick)", () => {
    const { facts } = f("yardstick__compute_memload_sample_output.txt");
    expect(facts.mem_total_bytes).toBe(263753976 * KiB);
    expect(facts.mem_buff_cache_bytes).toBe(853528 * KiB);
    expect(facts.swap_total_bytes).toBe(268029948 * KiB);
  });

  it("reads procps 3.2 with -/+ buffers/cache, taking -m from the pasted command line", () => {
    const text = [
      "$ free -m",
      "             total       used       free     shared    buffers     cached",
      "Mem:          3769       3652        117          0        163       2790",
      "-/+ buffers/cache:        698       3071",
      "Swap:         2047          0       2047",
    ].join("\n");
    const { facts, problems } = parseText(parseFree, text);
    expect(facts).toMatchObject({ unit: "MiB", unit_source: "command-line" });
    expect(facts.mem_total_bytes).toBe(3769 * 1024 ** 2);
    expect(facts.buffers_cache_free_bytes).toBe(3071 * 1024 ** 2);
    expect(facts.mem_available_bytes).toBe((117 + 163 + 2790) * 1024 ** 2);
    expect(facts.mem_available_estimated).toBe(true);
    // The command line gave the unit: read, not a problem.
    expect(problems).toEqual([]);
    const plain = parseText(parseFree, `$ free\n${text.split("\n").slice(1).join("\n")}`);
    expect(plain.problems).toEqual([expect.objectContaining({ line: 1, text: "$ free" })]);
  });

  it("reads procps 4 Gi/Mi units, -t Total and -l Low/High lines", () => {
    const text = [
      "               total        used        free      shared  buff/cache   available",
      "Mem:            23Gi       585Mi        21Gi        67Mi       2.1Gi        22Gi",
      "Low:            23Gi       2.7Gi        21Gi",
      "High:             0B          0B          0B",
      "Swap:             0B          0B          0B",
      "Total:          23Gi       585Mi        21Gi",
      "...",
    ].join("\n");
    const { facts, problems } = parseText(parseFree, text);
    expect(facts.mem_used_bytes).toBe(585 * 1024 ** 2);
    expect(facts.mem_buff_cache_bytes).toBe(Math.round(2.1 * 1024 ** 3));
    expect(facts.low_used_bytes).toBe(Math.round(2.7 * 1024 ** 3));
    expect(facts.high_total_bytes).toBe(0);
    expect(facts.total_free_bytes).toBe(21 * 1024 ** 3);
    expect(problems.map((p) => p.line)).toEqual([7]);
  });

  it("keeps free -b in bytes when the last row is cut (the Mem: row decides the unit)", () => {
    // Found by test/properties: a cut Swap: value, no longer a multiple of 1024, made the whole
    // table KiB, every value 1024 times too large.
    const { facts } = parseText(
      parseFree,
      [
        "               total        used        free      shared  buff/cache   available",
        "Mem:     25276076032  1408294912 21828186112    70602752  2432012288 23867781120",
        "Swap:     2147479552           0  21474",
      ].join("\n"),
    );
    expect(facts.unit).toBe("bytes");
    expect(facts.mem_total_bytes).toBe(25276076032);
    expect(facts.swap_free_bytes).toBe(21474);
  });

  it("rejects empty and garbage input with the documented error", () => {
    expect(() => parseText(parseFree, "")).toThrow(UnrecognisedOutputError);
    expect(() => parseText(parseFree, "\u0000\u00ff garbage\n1 2 3\n")).toThrow(
      UnrecognisedOutputError,
    );
  });
});

const JC = "/usr/bin/jc";
const jcNote = existsSync(JC) ? "" : " (skipped: /usr/bin/jc is not installed)";

describe("free parser: cross-check with jc", () => {
  it.skipIf(!existsSync(JC))(`agrees with jc --free on the Mem and Swap lines${jcNote}`, () => {
    for (const name of [
      "jc__ubuntu-18.04__free.out.txt",
      "jc__centos-7.7__free-w.out.txt",
      "yardstick__compute_memload_sample_output.txt",
    ]) {
      const text = readFixture(`free/${name}`);
      const theirs = JSON.parse(
        execFileSync(JC, ["--free"], { input: text, encoding: "utf8" }),
      ) as Record<string, number | string>[];
      const ours = parseText(parseFree, text).facts;
      const mem = theirs.find((r) => r.type === "Mem")!;
      const swap = theirs.find((r) => r.type === "Swap")!;
      expect(ours.mem_total_bytes).toBe(Number(mem.total) * KiB);
      expect(ours.mem_used_bytes).toBe(Number(mem.used) * KiB);
      expect(ours.mem_free_bytes).toBe(Number(mem.free) * KiB);
      expect(ours.mem_available_bytes).toBe(Number(mem.available) * KiB);
      expect(ours.swap_used_bytes).toBe(Number(swap.used) * KiB);
    }
  });
});
