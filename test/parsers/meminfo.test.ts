import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { meminfoKey, parseMeminfo } from "../../src/parsers/meminfo.js";
import { UnrecognisedOutputError } from "../../src/parsers/types.js";
import { parseFixture, parseText, readFixture } from "../helpers/fixtures.js";

const f = (name: string) => parseFixture(parseMeminfo, `meminfo/${name}`);

describe("meminfo parser", () => {
  it("names keys in snake_case with their unit", () => {
    expect(meminfoKey("SReclaimable")).toBe("s_reclaimable");
    expect(meminfoKey("Active(anon)")).toBe("active_anon");
    expect(meminfoKey("DirectMap2M")).toBe("direct_map2m");
    expect(meminfoKey("HugePages_Total")).toBe("huge_pages_total");
    expect(meminfoKey("Committed_AS")).toBe("committed_as");
    expect(meminfoKey("NFS_Unstable")).toBe("nfs_unstable");
  });

  it("estimates MemAvailable on a file without it (elastic oldkern)", () => {
    const { facts, problems } = f("elastic-asm__oldkern_proc_meminfo.txt");
    expect(facts.mem_available_estimated).toBe(true);
    // MemFree + Active(file) + Inactive(file) + SReclaimable
    expect(facts.mem_available_kb).toBe(25071456 + 7763360 + 18921300 + 1539312);
    expect(facts.zswapped_kb).toBe(4335680);
    expect(facts.direct_map1g_kb).toBe(9437184);
    expect(facts.k_reclaimable_kb).toBe(1539312);
    expect(problems).toEqual([]);
  });

  it("reads a modern kernel (jc)", () => {
    const { facts } = f("jc__linux-proc__meminfo.txt");
    expect(facts.mem_available_kb).toBe(3386876);
    expect(facts.mem_available_estimated).toBeUndefined();
    expect(facts.commit_limit_kb).toBe(5995304);
    expect(facts.huge_pages_total).toBe(0);
    expect(facts.hugepagesize_kb).toBe(2048);
  });

  it("reads node_exporter's file (no MemAvailable, HugePages counts)", () => {
    const { facts } = f("node_exporter__proc_meminfo.txt");
    expect(facts.mem_available_kb).toBe(225472 + 213412 + 145676 + 44772);
    expect(facts.vmalloc_chunk_kb).toBe(34359338876);
    expect(facts.direct_map2m_kb).toBe(3698688);
    expect(facts.huge_pages_rsvd).toBe(0);
  });

  it("computes the swap used share (oomd)", () => {
    const { facts } = f("oomd__fixtures_proc_meminfo.txt");
    expect(facts.mem_available_kb).toBe(49878948);
    expect(facts.committed_as_kb).toBe(21265672);
    expect(facts.swap_used_pct).toBeCloseTo(((2097148 - 1097041) / 2097148) * 100, 2);
  });

  it("reads telegraf's file with missing fields", () => {
    const { facts } = f("telegraf__mem__missing_fields_proc_meminfo.txt");
    expect(facts.unevictable_kb).toBeUndefined();
    expect(facts.percpu_kb).toBeUndefined();
    expect(facts.mlocked_kb).toBe(140);
  });

  it("reads telegraf's normal file", () => {
    const { facts } = f("telegraf__mem__normal_proc_meminfo.txt");
    expect(facts.unevictable_kb).toBe(140);
    expect(facts.percpu_kb).toBe(5632);
    expect(facts.committed_as_kb).toBe(11505536);
  });

  it("reads this project's VM", () => {
    const { facts } = f("vm-debian12-k6.18__meminfo.txt");
    expect(facts.mem_total_kb).toBe(24684092);
    expect(facts.mem_available_kb).toBe(24007332);
    expect(facts.dirty_kb).toBe(6232);
    expect(facts.sec_page_tables_kb).toBe(0);
    expect(facts.swap_used_pct).toBeUndefined();
  });

  it("reads per-node files and records a prompt and an elision", () => {
    const text = [
      "# cat /sys/devices/system/node/node*/meminfo",
      "Node 0 MemTotal:       32768000 kB",
      "Node 0 MemFree:         1024000 kB",
      "...",
      "Node 1 MemTotal:       32768000 kB",
      "Node 1 HugePages_Free:      12",
    ].join("\n");
    const { facts, problems } = parseText(parseMeminfo, text);
    expect(facts.nodes?.["0"]).toEqual({ mem_total_kb: 32768000, mem_free_kb: 1024000 });
    expect(facts.nodes?.["1"].huge_pages_free).toBe(12);
    expect(problems.map((p) => p.line)).toEqual([1, 4]);
  });

  it("rejects empty and garbage input with the documented error", () => {
    expect(() => parseText(parseMeminfo, "")).toThrow(UnrecognisedOutputError);
    expect(() => parseText(parseMeminfo, "\u0000\u00ff garbage\nnot: a number\n")).toThrow(
      UnrecognisedOutputError,
    );
  });
});

const JC = "/usr/bin/jc";
const jcNote = existsSync(JC) ? "" : " (skipped: /usr/bin/jc is not installed)";

describe("meminfo parser: cross-check with jc", () => {
  it.skipIf(!existsSync(JC))(`agrees with jc --proc-meminfo on every key${jcNote}`, () => {
    for (const name of ["jc__linux-proc__meminfo.txt", "oomd__fixtures_proc_meminfo.txt"]) {
      const text = readFixture(`meminfo/${name}`);
      const theirs = JSON.parse(
        execFileSync(JC, ["--proc-meminfo"], { input: text, encoding: "utf8" }),
      ) as Record<string, number>;
      const ours = parseText(parseMeminfo, text).facts;
      for (const [key, value] of Object.entries(theirs)) {
        const unitKb = new RegExp(`^${key.replace(/[()]/g, "\\$&")}:.*kB\\s*$`, "m").test(text);
        expect(ours[`${meminfoKey(key)}${unitKb ? "_kb" : ""}`]).toBe(value);
      }
    }
  });
});
