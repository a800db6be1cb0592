import { describe, expect, it } from "vitest";
import { UnrecognisedOutputError } from "../../src/parsers/types.js";
import { parseUptime } from "../../src/parsers/uptime.js";
import { parseFixture, parseText } from "../helpers/fixtures.js";

describe("uptime parser", () => {
  it("reads days, hours and load (insights-core case1)", () => {
    const { facts, problems } = parseFixture(
      parseUptime,
      "uptime/insights-core__test_uptime__case1.txt",
    );
    expect(facts.uptime_s).toBe(40 * 86400 + 21 * 3600 + 17 * 60);
    expect(facts.users).toBe(1);
    expect([facts.load1, facts.load5, facts.load15]).toEqual([0.49, 0.12, 0.04]);
    expect(problems).toEqual([]);
  });

  it("reads minutes only (insights-core case3)", () => {
    const { facts } = parseFixture(parseUptime, "uptime/insights-core__test_uptime__case3.txt");
    expect(facts.uptime_s).toBe(30 * 60);
  });

  it("reads days without a clock and many users (insights-core case4)", () => {
    const { facts } = parseFixture(parseUptime, "uptime/insights-core__test_uptime__case4.txt");
    expect(facts.uptime_s).toBe(2 * 86400);
    expect(facts.users).toBe(12);
    expect(facts.load1).toBe(9.32);
  });

  it("reads /proc/loadavg and /proc/uptime together", () => {
    const { facts } = parseText(parseUptime, "3.20 1.10 0.50 5/812 4242\n3532.18 6858.56\n");
    expect(facts).toMatchObject({ load1: 3.2, runnable: 5, threads: 812, uptime_s: 3532.18 });
  });

  it("keeps going past a shell prompt, recording it", () => {
    const { facts, problems } = parseText(
      parseUptime,
      "$ uptime\n 10:25:20 up 16:03,  2 users,  load average: 0,00, 0,01, 0,05\n",
    );
    expect(facts.load15).toBe(0.05);
    expect(problems).toEqual([expect.objectContaining({ line: 1, text: "$ uptime" })]);
  });

  it("rejects empty and garbage input with the documented error", () => {
    expect(() => parseText(parseUptime, "")).toThrow(UnrecognisedOutputError);
    expect(() => parseText(parseUptime, "\u0000\u00ff garbage\n")).toThrow(UnrecognisedOutputError);
  });
});
