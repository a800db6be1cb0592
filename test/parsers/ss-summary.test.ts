import { describe, expect, it } from "vitest";
import { parseSsSummary } from "../../src/parsers/ss-summary.js";
import { UnrecognisedOutputError } from "../../src/parsers/types.js";
import { parseFixture, parseText } from "../helpers/fixtures.js";

describe("ss-summary parser", () => {
  it("reads new iproute2 ss -s (vm-debian12)", () => {
    const { facts, problems } = parseFixture(
      parseSsSummary,
      "ss-summary/vm-debian12-k6.18__ss-s.txt",
    );
    expect(problems).toEqual([]);
    expect(facts.total).toBe(9);
    expect(facts.tcp).toEqual({ total: 1, estab: 0, closed: 0, orphaned: 0, timewait: 0 });
    expect(facts.transport.tcp).toEqual({ total: 1, ip: 1, ipv6: 0 });
    expect(facts.transport.inet).toEqual({ total: 1, ip: 1, ipv6: 0 });
    expect(Object.keys(facts.transport)).toEqual(["raw", "udp", "tcp", "inet", "frag"]);
  });

  it("reads old iproute2 with kernel, synrecv, timewait A/B, ports and the * row", () => {
    const text = [
      "Total: 1234 (kernel 1420)",
      "TCP:   3871 (estab 812, closed 2950, orphaned 14, synrecv 0, timewait 2948/0), ports 0",
      "",
      "Transport Total     IP        IPv6",
      "*         1420      -         -",
      "RAW       0         0         0",
      "UDP       9         6         3",
      "TCP       921       915       6",
      "INET      930       921       9",
      "FRAG      0         0         0",
      "",
    ].join("\n");
    const { facts, problems } = parseText(parseSsSummary, text);
    expect(problems).toEqual([]);
    expect(facts).toMatchObject({ total: 1234, kernel: 1420 });
    expect(facts.tcp).toEqual({
      total: 3871,
      estab: 812,
      closed: 2950,
      orphaned: 14,
      synrecv: 0,
      timewait: 2948,
      timewait_buckets: 0,
      ports: 0,
    });
    expect(facts.transport.all).toEqual({ total: 1420 });
    expect(facts.transport.udp).toEqual({ total: 9, ip: 6, ipv6: 3 });
  });

  it("records a prompt as a problem", () => {
    const { facts, problems } = parseText(parseSsSummary, "$ ss -s\nTotal: 9\n");
    expect(facts.total).toBe(9);
    expect(problems).toEqual([expect.objectContaining({ line: 1, text: "$ ss -s" })]);
  });

  it("rejects empty and garbage input with the documented error", () => {
    expect(() => parseText(parseSsSummary, "")).toThrow(UnrecognisedOutputError);
    expect(() => parseText(parseSsSummary, "\u0000\u00ff garbage\nRAW 1 2 3\n")).toThrow(
      UnrecognisedOutputError,
    );
  });
});
