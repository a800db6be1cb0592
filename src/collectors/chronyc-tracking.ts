import type { Collector } from "./types.js";

/**
 * chronyd's view of the system clock against its NTP sources: `chronyc -n tracking` (`-n`: no
 * DNS look-ups, the sources print as addresses). A host without chrony reports the tool
 * missing; one whose chronyd is not running answers `506 Cannot talk to daemon`: skipped.
 */
export const chronycTracking: Collector = {
  id: "chronyc-tracking",
  title: "system clock offset and NTP synchronisation (chronyc tracking)",
  cost: "cheap",
  stream: "stdout",
  timeoutSeconds: 5,
  capBytes: 4096,
  package: "chrony",
  absent: { stderr: /Cannot talk to daemon/, reason: "chronyd is not running on this host" },
  command: () => ({ argv: ["chronyc", "-n", "tracking"] }),
};
