import type { Collector } from "./types.js";

/**
 * chrony's client prints `506 Cannot talk to daemon` on stdout (chrony client.c request_reply)
 * when chronyd is not running: the script moves it to stderr so the collector is skipped. A
 * host without chronyc whose clock another NTP client keeps (a process named as below in
 * /proc/PID/comm, which the kernel cuts at 15 bytes: `systemd-timesyn`) is skipped the same
 * way, named on stderr; only a host with no NTP client at all keeps exit status 127, reported
 * missing with chrony to install. The scan is shell builtins only.
 */
const SCRIPT = [
  "out=$(chronyc -n tracking 2>&1); rc=$?",
  'if [ "$rc" -eq 127 ]; then',
  "  for d in /proc/[0-9]*; do",
  '    c=; read -r c <"$d/comm" 2>/dev/null',
  "    case $c in",
  "      systemd-timesyn) c=systemd-timesyncd ;;",
  "      ntpd | ptp4l | phc2sys | timemaster) ;;",
  "      *) continue ;;",
  "    esac",
  '    echo "chronyc is not installed: the clock is kept by $c" >&2',
  "    exit 1",
  "  done",
  `  printf '%s\\n' "$out" >&2`,
  "  exit 127",
  "fi",
  `case $out in *"Cannot talk to daemon"*) printf '%s\\n' "$out" >&2; exit 1 ;; esac`,
  `printf '%s\\n' "$out"`,
  'exit "$rc"',
  "",
].join("\n");

/**
 * chronyd's view of the system clock against its NTP sources: `chronyc -n tracking` (`-n`: no
 * DNS look-ups, the sources print as addresses). A host whose clock chronyd does not keep (not
 * running, or another NTP client there) is skipped; a host with no NTP client at all reports
 * chrony missing.
 */
export const chronycTracking: Collector = {
  id: "chronyc-tracking",
  title: "system clock offset and NTP synchronisation (chronyc tracking)",
  cost: "cheap",
  stream: "stdout",
  timeoutSeconds: 5,
  capBytes: 4096,
  package: "chrony",
  absent: {
    stderr: /Cannot talk to daemon|the clock is kept by /,
    reason:
      "chronyd does not keep this host's clock (it is not running, or another NTP client does)",
  },
  command: () => ({ argv: ["sh", "-c", SCRIPT], script: SCRIPT }),
};
