import type { Collector } from "./types.js";

const DB = "/var/lib/rasdaemon/ras-mc_event.db";

/**
 * ras-mc-ctl opens its database with DBI's SQLite driver, which creates an empty file when the
 * directory exists and the file does not (then fails: `no such table: mc_event`); the script
 * runs it only when the database is there and not empty, so the host is left as it was. A host
 * without the tool exits 127 (reported missing); one where rasdaemon never recorded is skipped.
 */
const SCRIPT = [
  'command -v ras-mc-ctl >/dev/null 2>&1 || { echo "ras-mc-ctl: command not found" >&2; exit 127; }',
  `[ -s ${DB} ] || { echo "${DB}: no rasdaemon database" >&2; exit 1; }`,
  "exec ras-mc-ctl --summary",
  "",
].join("\n");

/**
 * The RAS events rasdaemon recorded since it started recording (memory controller/EDAC, PCIe
 * AER, machine checks, …), counted per class: `ras-mc-ctl --summary` (rasdaemon's
 * util/ras-mc-ctl.in `sub summary`). History, not the present: the database keeps every event
 * since rasdaemon began recording, across reboots. Reads a world-readable database (0644 as
 * rasdaemon creates it), so no root; a database this user cannot open is skipped with the
 * same reason as none (`unable to open database file`).
 */
export const rasMcCtl: Collector = {
  id: "ras-mc-ctl",
  title: "RAS events rasdaemon recorded: memory, PCIe AER, machine checks (ras-mc-ctl --summary)",
  cost: "cheap",
  stream: "stdout",
  timeoutSeconds: 10,
  capBytes: 65536,
  package: "rasdaemon",
  absent: {
    stderr: /no rasdaemon database|unable to open database file|no such table: mc_event/,
    reason:
      "rasdaemon has no event database on this host (not installed, or not recording: rasdaemon --record), or this user cannot read it",
  },
  command: () => ({ argv: ["sh", "-c", SCRIPT], script: SCRIPT }),
};
