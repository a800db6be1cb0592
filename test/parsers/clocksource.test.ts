import { describe, expect, it } from "vitest";
import { parseClocksource } from "../../src/parsers/clocksource.js";
import { UnrecognisedOutputError } from "../../src/parsers/types.js";
import { parseFixture, parseText } from "../helpers/fixtures.js";

describe("clocksource parser", () => {
  it("reads the collector's two sections, trailing blank included (vm-debian12)", () => {
    const { facts, problems } = parseFixture(
      parseClocksource,
      "clocksource/vm-debian12-k6.18__clocksource.txt",
    );
    expect(problems).toEqual([]);
    expect(facts.current).toBe("tsc");
    expect(facts.available).toEqual(["tsc", "kvm-clock"]);
    expect(facts.tsc_available).toBe(true);
    expect(facts.current_is_tsc).toBe(true);
  });

  it("reads a TSC marked unstable: hpet current, tsc gone from the list", () => {
    const text = [
      "==> /sys/devices/system/clocksource/clocksource0/current_clocksource <==",
      "hpet",
      "==> /sys/devices/system/clocksource/clocksource0/available_clocksource <==",
      "hpet acpi_pm ",
    ].join("\n");
    expect(parseText(parseClocksource, text).facts).toEqual({
      current: "hpet",
      available: ["hpet", "acpi_pm"],
      tsc_available: false,
      current_is_tsc: false,
    });
  });

  it("reads an unmarked paste in the usual order and records the prompts", () => {
    const text = [
      "$ cat /sys/devices/system/clocksource/clocksource0/current_clocksource",
      "xen",
      "$ cat /sys/devices/system/clocksource/clocksource0/available_clocksource",
      "xen tsc hpet acpi_pm",
    ].join("\n");
    const { facts, problems } = parseText(parseClocksource, text);
    expect(facts).toMatchObject({
      current: "xen",
      available: ["xen", "tsc", "hpet", "acpi_pm"],
      tsc_available: true,
    });
    expect(problems.map((p) => p.line)).toEqual([1, 3]);
  });

  it("rejects empty and garbage input with the documented error", () => {
    expect(() => parseText(parseClocksource, "")).toThrow(UnrecognisedOutputError);
    expect(() => parseText(parseClocksource, "\u0000\u00ff garbage\n$%^&\n")).toThrow(
      UnrecognisedOutputError,
    );
  });
});
