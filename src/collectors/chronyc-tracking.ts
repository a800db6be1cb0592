import type { Collector } from "./types.js";

/**
 * chrony's client prints `506 Cannot talk to daemon` on stdout (chrony client.c request_reply)
 * when chronyd is not running: the script moves it to stderr so the collector is skipped, and
 * keeps exit status 127 of a host without chronyc so it is reported missing.
 */
const SCRIPT = [
  "out=$(chronyc -n tracking 2>&1); rc=$?",
  `[ "$rc" -eq 127 ] && { printf '%s\\n' "$out" >&2; exit 127; }`,
  `case $out in *"Cannot talk to daemon"*) printf '%s\\n' "$out" >&2; exit 1 ;; esac`,
  `printf '%s\\n' "$out"`,
  'exit "$rc"',
  "",
].join("\n");

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
  command: () => ({ argv: ["sh", "-c", SCRIPT], script: SCRIPT }),
};
