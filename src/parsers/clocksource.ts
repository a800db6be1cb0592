import { fields, ProblemLog } from "./lines.js";
import { sectionsOf } from "./sections.js";
import { type ParseResult, UnrecognisedOutputError } from "./types.js";

/**
 * Facts of `clocksource`: the kernel's current and available clocksources, from
 *
 * ```
 * ==> /sys/devices/system/clocksource/clocksource0/current_clocksource <==
 * hpet
 * ==> /sys/devices/system/clocksource/clocksource0/available_clocksource <==
 * tsc hpet acpi_pm
 * ```
 * Yields: `current = "hpet"`, `tsc_available = true`, `current_is_tsc = false`.
 *
 * Unmarked pastes are read in the order people paste them: a first single word is the
 * current clocksource, a line of several words the available list (a second single word
 * after a current one is the available list of one).
 * `tsc_available` false while the CPU has a TSC means the kernel marked it unstable (dmesg:
 * "clocksource tsc unstable"); a current of `hpet` or `acpi_pm` makes clock_gettime() a
 * slow system call instead of a vDSO read.
 *
 * Source: kernel Documentation/ABI/testing/sysfs-devices-system-clocksource (not every
 * kernel ships it) and Documentation/timers/timekeeping.rst.
 */
export interface ClocksourceFacts {
  current?: string;
  available?: string[];
  /** `tsc` is in the available list (absent when the list was not read). */
  tsc_available?: boolean;
  /** The current clocksource is `tsc`. */
  current_is_tsc?: boolean;
}

const WORD = /^[A-Za-z0-9_.-]+$/;

/**
 * Parses the clocksource sysfs files (see {@link ClocksourceFacts}). Throws
 * UnrecognisedOutputError when neither file's content was found.
 */
export function parseClocksource(lines: Iterable<string>): ParseResult<ClocksourceFacts> {
  const problems = new ProblemLog();
  const facts: ClocksourceFacts = {};
  for (const section of sectionsOf(lines)) {
    const file = section.path.replace(/.*\//, "");
    if (section.path !== "" && file !== "current_clocksource" && file !== "available_clocksource") {
      problems.add(section.firstLine - 1, `==> ${section.path} <==`, "not a clocksource file");
      continue;
    }
    section.lines.forEach((line, i) => {
      const n = section.firstLine + i;
      if (line.trim() === "") return;
      const words = fields(line);
      if (!words.every((w) => WORD.test(w))) {
        problems.add(n, line, "not a clocksource name list");
        return;
      }
      if (file === "current_clocksource" && words.length === 1 && facts.current === undefined) {
        facts.current = words[0];
      } else if (file === "available_clocksource" && facts.available === undefined) {
        facts.available = words;
      } else if (file === "" && words.length === 1 && facts.current === undefined) {
        facts.current = words[0];
      } else if (file === "" && facts.available === undefined) {
        facts.available = words;
      } else {
        problems.add(n, line, "extra line in a clocksource file");
      }
    });
  }
  if (facts.current === undefined && facts.available === undefined) {
    throw new UnrecognisedOutputError("clocksource", "no clocksource name was found");
  }
  if (facts.available) facts.tsc_available = facts.available.includes("tsc");
  if (facts.current !== undefined) facts.current_is_tsc = facts.current === "tsc";
  return { facts, problems: problems.list() };
}
