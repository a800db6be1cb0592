import { describe, expect, it } from "vitest";
import { parseConntrack } from "../../src/parsers/conntrack.js";
import { UnrecognisedOutputError } from "../../src/parsers/types.js";
import { parseFixture, parseText } from "../helpers/fixtures.js";

describe("conntrack parser", () => {
  it("reads the collector's sections (vm-debian12)", () => {
    const { facts, problems } = parseFixture(
      parseConntrack,
      "conntrack/vm-debian12-k6.18__conntrack.txt",
    );
    expect(problems).toEqual([]);
    expect(facts).toEqual({ loaded: true, count: 0, max: 262144, used_pct: 0 });
  });

  it("says loaded: false when the module is absent (markers only)", () => {
    const text =
      "==> /proc/sys/net/netfilter/nf_conntrack_count <==\n==> /proc/sys/net/netfilter/nf_conntrack_max <==\n";
    expect(parseText(parseConntrack, text)).toEqual({ facts: { loaded: false }, problems: [] });
  });

  it("reads sysctl output, including its error for an absent module", () => {
    const { facts } = parseText(
      parseConntrack,
      "net.netfilter.nf_conntrack_count = 65000\nnet.netfilter.nf_conntrack_max = 65536\n",
    );
    expect(facts).toEqual({ loaded: true, count: 65000, max: 65536, used_pct: 99.18 });
    const absent = parseText(
      parseConntrack,
      "sysctl: cannot stat /proc/sys/net/netfilter/nf_conntrack_count: No such file or directory\n",
    );
    expect(absent).toEqual({ facts: { loaded: false }, problems: [] });
  });

  it("reads two bare numbers as count then max, and old ip_conntrack paths", () => {
    expect(parseText(parseConntrack, "131072\n262144\n").facts).toEqual({
      loaded: true,
      count: 131072,
      max: 262144,
      used_pct: 50,
    });
    expect(
      parseText(parseConntrack, "==> /proc/sys/net/ipv4/netfilter/ip_conntrack_max <==\n1024\n")
        .facts,
    ).toEqual({ loaded: true, max: 1024 });
  });

  it("records a prompt as a problem", () => {
    const { facts, problems } = parseText(
      parseConntrack,
      "$ cat /proc/sys/net/netfilter/nf_conntrack_count\n12\n",
    );
    expect(facts.count).toBe(12);
    expect(problems).toEqual([expect.objectContaining({ line: 1 })]);
  });

  it("rejects empty and garbage input with the documented error", () => {
    expect(() => parseText(parseConntrack, "")).toThrow(UnrecognisedOutputError);
    expect(() => parseText(parseConntrack, "\u0000\u00ff garbage\n")).toThrow(
      UnrecognisedOutputError,
    );
  });
});
