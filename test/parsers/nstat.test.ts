import { describe, expect, it } from "vitest";
import { nstatDelta, parseNstat } from "../../src/parsers/nstat.js";
import { UnrecognisedOutputError } from "../../src/parsers/types.js";
import { parseFixture, parseText } from "../helpers/fixtures.js";

describe("nstat parser", () => {
  it("reads nstat -az with the #kernel header (vm-debian12)", () => {
    const { facts, problems } = parseFixture(parseNstat, "nstat/vm-debian12-k6.18__nstat-az.txt");
    expect(problems).toEqual([]);
    expect(facts.counters.IpInReceives).toBe(13369);
    expect(facts.counters.TcpActiveOpens).toBe(144);
    expect(facts.counters.TcpRetransSegs).toBe(3);
    expect(facts.counters.IpExtInOctets).toBe(415964762);
    expect(facts.counters.TcpExtListenOverflows).toBe(0);
    expect(facts.rates_per_s?.IpInReceives).toBe(0);
    expect(Object.keys(facts.counters)).toHaveLength(396);
  });

  it("reads the collector's nstat -asz (vm-debian12)", () => {
    const { facts, problems } = parseFixture(parseNstat, "nstat/vm-debian12-k6.18__nstat-asz.txt");
    expect(problems).toEqual([]);
    expect(facts.counters.TcpActiveOpens).toBe(114);
    expect(facts.counters.TcpPassiveOpens).toBe(53);
    expect(facts.counters.TcpExtTCPTimeouts).toBe(2);
    expect(facts.counters.IpExtInOctets).toBe(188139746);
    expect(facts.counters.TcpExtTW).toBe(60);
  });

  it("reads nstat without -a/-z (increments, zeros left out) and a rate column", () => {
    const { facts } = parseText(
      parseNstat,
      "#kernel\nIpInReceives                    52                 3.4\nTcpExtListenOverflows           17                 0.9\n",
    );
    expect(facts.counters).toEqual({ IpInReceives: 52, TcpExtListenOverflows: 17 });
    expect(facts.rates_per_s).toEqual({ IpInReceives: 3.4, TcpExtListenOverflows: 0.9 });
  });

  it("reads nstat -j and -jp", () => {
    expect(
      parseText(parseNstat, '{"kernel":{"IpInReceives":5,"TcpRetransSegs":2}}\n').facts,
    ).toEqual({
      counters: { IpInReceives: 5, TcpRetransSegs: 2 },
    });
    const pretty = '{\n    "kernel": {\n        "TcpExtListenDrops": 9\n    }\n}\n';
    expect(parseText(parseNstat, pretty).facts.counters).toEqual({ TcpExtListenDrops: 9 });
  });

  it("records a prompt and an elision as problems", () => {
    const { facts, problems } = parseText(
      parseNstat,
      "$ nstat -az\n#kernel\nIpInReceives 1 0.0\n...\nTcpRetransSegs 4 0.0\n",
    );
    expect(facts.counters).toEqual({ IpInReceives: 1, TcpRetransSegs: 4 });
    expect(problems.map((p) => p.line)).toEqual([1, 4]);
  });

  it("rejects empty and garbage input with the documented error", () => {
    expect(() => parseText(parseNstat, "")).toThrow(UnrecognisedOutputError);
    expect(() => parseText(parseNstat, "\u0000\u00ff garbage\n{ nope\n")).toThrow(
      UnrecognisedOutputError,
    );
  });
});

describe("nstatDelta", () => {
  it("gives increments and per-second rates over the window", () => {
    const start = { counters: { TcpRetransSegs: 100, TcpExtListenOverflows: 5, TcpCurrEstab: 10 } };
    const end = {
      counters: {
        TcpRetransSegs: 160,
        TcpExtListenOverflows: 5,
        TcpCurrEstab: 7,
        TcpExtListenDrops: 8,
      },
    };
    const d = nstatDelta(start, end, 5);
    expect(d.increments).toEqual({
      TcpRetransSegs: 60,
      TcpExtListenOverflows: 0,
      TcpExtListenDrops: 8,
    });
    expect(d.rates_per_s).toEqual({
      TcpRetransSegs: 12,
      TcpExtListenOverflows: 0,
      TcpExtListenDrops: 1.6,
    });
    expect(d.gauges).toEqual({ TcpCurrEstab: 7 });
    expect(d.reset).toEqual([]);
    expect(d.seconds).toBe(5);
  });

  it("leaves out counters that went backwards and gives no rate for a zero window", () => {
    const d = nstatDelta(
      { counters: { IpInReceives: 1000 } },
      { counters: { IpInReceives: 10 } },
      0,
    );
    expect(d.reset).toEqual(["IpInReceives"]);
    expect(d.increments).toEqual({});
    expect(d.rates_per_s).toEqual({});
  });

  it("works on two real readings parsed from nstat output", () => {
    const a = parseText(parseNstat, "#kernel\nTcpOutSegs 4000 0.0\nTcpRetransSegs 10 0.0\n").facts;
    const b = parseText(parseNstat, "#kernel\nTcpOutSegs 5000 0.0\nTcpRetransSegs 30 0.0\n").facts;
    const d = nstatDelta(a, b, 10);
    expect(d.increments).toEqual({ TcpOutSegs: 1000, TcpRetransSegs: 20 });
    expect(d.rates_per_s.TcpRetransSegs).toBe(2);
  });
});
