import { describe, expect, it } from "vitest";
import { parseSockstat } from "../../src/parsers/sockstat.js";
import { UnrecognisedOutputError } from "../../src/parsers/types.js";
import { parseFixture, parseText } from "../helpers/fixtures.js";

describe("sockstat parser", () => {
  it("reads sockstat and sockstat6 (vm-debian12)", () => {
    const { facts, problems } = parseFixture(
      parseSockstat,
      "sockstat/vm-debian12-k6.18__sockstat.txt",
    );
    expect(problems).toEqual([]);
    expect(facts.sockets_used).toBe(32);
    expect(facts.protocols.tcp).toEqual({ inuse: 11, orphan: 0, tw: 3, alloc: 14, mem_pages: 249 });
    expect(facts.protocols.udp).toEqual({ inuse: 0, mem_pages: 0 });
    expect(facts.protocols.frag).toEqual({ inuse: 0, memory_bytes: 0 });
    expect(facts.protocols.tcp6).toEqual({ inuse: 2 });
    expect(Object.keys(facts.protocols)).toHaveLength(10);
  });

  it("accepts section markers and records foreign lines", () => {
    const { facts, problems } = parseText(
      parseSockstat,
      "==> /proc/net/sockstat <==\nsockets: used 8000\nTCP: inuse 4000 orphan 65000 tw 180000 alloc 4100 mem 380000\n# cat /proc/net/sockstat6\nTCP6: inuse 12\n",
    );
    expect(facts.protocols.tcp).toEqual({
      inuse: 4000,
      orphan: 65000,
      tw: 180000,
      alloc: 4100,
      mem_pages: 380000,
    });
    expect(facts.protocols.tcp6).toEqual({ inuse: 12 });
    expect(problems).toEqual([
      expect.objectContaining({ line: 4, text: "# cat /proc/net/sockstat6" }),
    ]);
  });

  it("rejects empty and garbage input with the documented error", () => {
    expect(() => parseText(parseSockstat, "")).toThrow(UnrecognisedOutputError);
    expect(() => parseText(parseSockstat, "\u0000\u00ff garbage\nTCP: inuse\n")).toThrow(
      UnrecognisedOutputError,
    );
  });
});
