import type { ClocksourceFacts } from "../../parsers/clocksource.js";
import type { ClocksourceEvent } from "../../parsers/dmesg.js";
import type { FactBag } from "../types.js";
import { s } from "../util.js";
import { LOG, type LogJudge, SRC } from "./judge.js";

/**
 * Clocksources: the one the watchdog marked unstable (kernel/time/clocksource.c,
 * arch/x86/kernel/tsc.c) and the one switched to; with sysfs
 * (/sys/devices/system/clocksource/clocksource0), the current one and whether it is slow.
 */

/** Clocksources read by a system call, not the vDSO (arch/x86/entry/vdso, kernel/time/jiffies.c). */
const SLOW_CLOCKS = new Set(["hpet", "acpi_pm", "pit", "jiffies", "refined-jiffies"]);

export const clock: LogJudge = {
  name: "clock",
  provides: [
    {
      path: "clock.unstable",
      says: "clocksource marked unstable",
      type: "string",
      from: LOG,
      doc: "Clocksource the watchdog marked unstable (`tsc`).",
    },
    {
      path: "clock.switched_to",
      type: "string",
      from: LOG,
      doc: "Clocksource switched to after boot settled (the last `Switched to clocksource X`).",
    },
    {
      path: "clock.current",
      type: "string",
      from: ["clocksource", "dmesg"],
      doc: "Current clocksource (sysfs), else the last one dmesg switched to.",
    },
    {
      path: "clock.slow",
      says: {
        yes: "the clocksource is a slow one (hpet, acpi_pm)",
        no: "the clocksource is a fast one (vDSO reads)",
      },
      type: "boolean",
      from: ["clocksource", "dmesg"],
      doc: "True when the current clocksource is hpet, acpi_pm, pit or jiffies: clock_gettime() becomes a system call instead of a vDSO read.",
    },
    {
      path: "clock.tsc_available",
      type: "boolean",
      from: ["clocksource"],
      doc: "`tsc` is among the available clocksources.",
    },
  ],
  judge(ev, bag) {
    // `tsc=unstable` on the kernel command line is the booter's choice, not a fault.
    const marked = ev.of("clocksource-unstable") as ClocksourceEvent[];
    const clocks = marked.filter((c) => c.reason !== "boot parameter");
    if (clocks.length < marked.length) {
      bag.note("The TSC is off by the tsc=unstable boot parameter: a choice at boot, not a fault.");
    }
    if (clocks.length === 0) return;
    const c = clocks.find((x) => x.clocksource) ?? clocks[0];
    const sw = [...clocks].reverse().find((x) => x.switched_to);
    const line = sw && sw !== c ? `${c.text} / ${sw.text}` : c.text;
    bag.set("clock.unstable", c.clocksource ?? "tsc", SRC, line);
    if (sw?.switched_to) bag.set("clock.switched_to", sw.switched_to, SRC, line);
  },
};

/** The clocksource now: sysfs's current one, else the last one the log switched to. */
export function clockNow(bag: FactBag, cs: ClocksourceFacts | undefined): void {
  const switched = bag.values.get("clock.switched_to");
  const current = s(cs?.current) ?? (typeof switched === "string" ? switched : undefined);
  if (current) {
    const src = cs?.current ? "clocksource" : "dmesg";
    const line = cs?.current
      ? `current_clocksource: ${cs.current}${cs.available ? `; available: ${cs.available.join(" ")}` : ""}`
      : bag.excerpts.get("clock.switched_to");
    bag.set("clock.current", current, src, line);
    bag.set("clock.slow", SLOW_CLOCKS.has(current), src, line);
  }
  if (cs && typeof cs.tsc_available === "boolean") {
    bag.set("clock.tsc_available", cs.tsc_available, "clocksource");
  }
}
