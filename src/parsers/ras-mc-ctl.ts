import { ProblemLog } from "./lines.js";
import { type ParseResult, UnrecognisedOutputError } from "./types.js";

/**
 * Facts of `ras-mc-ctl --summary`: the RAS events rasdaemon recorded in its database
 * (/var/lib/rasdaemon/ras-mc_event.db) since it started recording, counted per class:
 *
 * ```
 * Memory controller events summary:
 * 	Corrected on DIMM Label(s): 'CPU_SrcID#0_Ha#0_Chan#1_DIMM#0' location: 0:1:0:-1 errors: 37
 * 	Uncorrected on DIMM Label(s): 'CPU_SrcID#0_Ha#0_Chan#1_DIMM#0' location: 0:1:0:-1 errors: 1
 *
 * PCIe AER events summary:
 * 	4 Corrected errors: Receiver Error
 *
 * No Extlog errors.
 *
 * MCE records summary:
 * 	1 Corrected error, no action required. errors
 * ```
 * Yields: `memory[0].type = "Corrected"`, `memory[0].label = "CPU_SrcID#0_Ha#0_Chan#1_DIMM#0"`, `memory[0].location = "0:1:0:-1"`, `memory[0].count = 37`.
 * Yields: `aer[0].type = "Corrected"`, `aer[0].message = "Receiver Error"`, `aer[0].count = 4`, `none = ["Extlog"]`.
 * Yields: `mce[0].message = "Corrected error, no action required."`, `mce[0].severity = "corrected"`, `mce[0].count = 1`.
 *
 * Layout, from util/ras-mc-ctl.in `sub summary` (rasdaemon 0.6.8 as installed by Debian 12,
 * and the same lines in 0.8.5): each class prints either `<Class> events summary:` (`MCE
 * records summary:`, `Extlog records summary:`) and one tab-indented line per group, or
 * `No <Class> errors.`. The group lines read are
 * - memory (`mc_event` grouped by err_type, label and location):
 *   `"\t$err_type on DIMM Label(s): '$label' location: $mc:$top:$mid:$low errors: $count\n"`;
 *   err_type is `Corrected`, `Uncorrected`, `Deferred`, `Fatal` or `Info` (ras-mc-handler.c),
 *   a layer not used by the driver is `-1`;
 * - PCIe AER (`aer_event` grouped by err_type and message): `"\t$count $err_type errors: $msg\n"`;
 *   err_type is `Corrected`, `Uncorrected (Non-Fatal)`, `Uncorrected (Fatal)` or `Unknown
 *   severity` (ras-aer-handler.c);
 * - MCE (`mce_record` grouped by error_msg): `"\t$count $msg errors\n"`.
 * Other classes (ARM processor, Extlog, devlink, disk, memory failure, CXL) keep their lines
 * in `other`. A count is of recorded events (database rows), each of which may stand for
 * several errors (mc_event's err_count).
 *
 * MCE severity comes from the message: AMD decoding (mce-amd.c decode_amd_errcode) writes
 * `Corrected error, no action required.`, `Deferred error, no action required.`,
 * `Uncorrected, software containable error.`, `Uncorrected, software restartable error.` or
 * `System Fatal error.`; Intel decoding (mce-intel.c) writes the error's kind (`MEMORY
 * CONTROLLER RD_CHANNEL0_ERR`) and keeps the severity for `--errors` (`mci ...`): `unknown`.
 *
 * Samples: a Debian 12 VM's empty database (recorded for this project); mchehab/rasdaemon
 * issue #121 (0.8.0, one corrected MCE); the other event lines printed by the 0.6.8 script on
 * database rows written for the tests (test/fixtures/MANIFEST.tsv).
 */
export interface RasMemoryEvents {
  /** `Corrected`, `Uncorrected`, `Deferred`, `Fatal`, `Info`. */
  type: string;
  /** The DIMM label (`dimm_label`, or the driver's name for the slot); may be empty. */
  label: string;
  /** `mc:top:middle:lower` layers of the EDAC location (`-1`: layer not used). */
  location: string;
  /** Events recorded. */
  count: number;
}

export interface RasAerEvents {
  /** `Corrected`, `Uncorrected (Non-Fatal)`, `Uncorrected (Fatal)`, `Unknown severity`. */
  type: string;
  /** The error bits' names (`Receiver Error`, `Completion Timeout`). */
  message: string;
  count: number;
}

export type MceSeverity = "corrected" | "deferred" | "uncorrected" | "unknown";

export interface RasMceRecords {
  message: string;
  severity: MceSeverity;
  count: number;
}

export interface RasOtherEvents {
  /** The class as its header names it (`Extlog`, `ARM processor`). */
  section: string;
  /** Its group lines, trimmed. */
  lines: string[];
}

export interface RasMcCtlFacts {
  memory: RasMemoryEvents[];
  aer: RasAerEvents[];
  mce: RasMceRecords[];
  other: RasOtherEvents[];
  /** Classes printed as `No <Class> errors.` (`Memory`, `PCIe AER`, `MCE`). */
  none: string[];
}

const NONE = /^No (.+) errors\.$/;
const HEADER = /^(.+?) (?:events|records) summary:$/;
const MEMORY = /^(\S+) on DIMM Label\(s\): '(.*)' location: (\S+) errors: (\d+)$/;
const AER = /^(\d+) (.+?) errors: (.*)$/;
const MCE = /^(\d+) (.*) errors$/;
/** `--errors` headers (`Memory controller events:`, `MCE events:`): not a summary. */
const LISTING = /^[A-Za-z][\w ]* events:$/;

/** The severity an MCE message tells (see {@link RasMcCtlFacts}). */
export function mceSeverity(message: string): MceSeverity {
  if (/^Corrected error\b/.test(message)) return "corrected";
  if (/^Deferred error\b/.test(message)) return "deferred";
  if (/^(?:Uncorrected\b|System Fatal error)/.test(message)) return "uncorrected";
  return "unknown";
}

/** Reads one group line of `section` into `facts`: false when it does not have the section's form. */
function readGroup(facts: RasMcCtlFacts, section: string, line: string): boolean {
  if (section === "Memory controller") {
    const m = MEMORY.exec(line);
    if (m) facts.memory.push({ type: m[1], label: m[2], location: m[3], count: Number(m[4]) });
    return m !== null;
  }
  if (section === "PCIe AER") {
    const m = AER.exec(line);
    if (m) facts.aer.push({ type: m[2], message: m[3], count: Number(m[1]) });
    return m !== null;
  }
  if (section === "MCE") {
    const m = MCE.exec(line);
    if (m) facts.mce.push({ message: m[2], severity: mceSeverity(m[2]), count: Number(m[1]) });
    return m !== null;
  }
  let other = facts.other.find((o) => o.section === section);
  if (!other) {
    other = { section, lines: [] };
    facts.other.push(other);
  }
  other.lines.push(line);
  return true;
}

/**
 * Parses `ras-mc-ctl --summary` (see {@link RasMcCtlFacts}). Throws UnrecognisedOutputError
 * when no `... summary:` header and no `No ... errors.` line was found.
 */
export function parseRasMcCtl(lines: Iterable<string>): ParseResult<RasMcCtlFacts> {
  const problems = new ProblemLog();
  const facts: RasMcCtlFacts = { memory: [], aer: [], mce: [], other: [], none: [] };
  let section: string | undefined;
  let known = 0;
  let n = 0;
  for (const raw of lines) {
    n++;
    const line = raw.trim();
    if (line === "") continue;
    const none = NONE.exec(line);
    const header = HEADER.exec(line);
    if (none || header) {
      known++;
      section = header?.[1];
      if (none) facts.none.push(none[1]);
    } else if (LISTING.test(line)) {
      section = undefined;
      problems.add(n, raw, "a `ras-mc-ctl --errors` listing: only --summary is read");
    } else if (section === undefined) {
      problems.add(n, raw, "not a line of ras-mc-ctl --summary");
    } else if (!readGroup(facts, section, line)) {
      problems.add(n, raw, `not a ${section} summary line`);
    }
  }
  if (known === 0) {
    throw new UnrecognisedOutputError(
      "ras-mc-ctl",
      "no `... summary:` header and no `No ... errors.` line",
    );
  }
  return { facts, problems: problems.list() };
}
