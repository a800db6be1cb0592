import type { Collector } from "./types.js";

const DIR = "/sys/devices/system/clocksource/clocksource0";
const SCRIPT = [
  "for f in current_clocksource available_clocksource; do",
  `  printf '==> %s <==\\n' "${DIR}/$f"`,
  `  cat "${DIR}/$f"`,
  "done",
  "",
].join("\n");

/** The current and available clocksources (a TSC marked unstable falls back to hpet/acpi_pm). */
export const clocksource: Collector = {
  id: "clocksource",
  title: "current and available clocksource (/sys/devices/system/clocksource)",
  cost: "cheap",
  stream: "stdout",
  timeoutSeconds: 5,
  capBytes: 4096,
  command: () => ({ argv: ["sh", "-c", SCRIPT], script: SCRIPT, readsKernelOnly: true }),
};
