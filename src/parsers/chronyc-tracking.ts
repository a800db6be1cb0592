import { ProblemLog } from "./lines.js";
import { type ParseResult, UnrecognisedOutputError } from "./types.js";

/**
 * Facts of `chronyc tracking`:
 *
 * ```
 * Reference ID    : A9FEA97B (169.254.169.123)
 * Stratum         : 4
 * Ref time (UTC)  : Wed Nov 22 13:18:34 2017
 * System time     : 0.000000626 seconds slow of NTP time
 * Last offset     : +0.002852759 seconds
 * RMS offset      : 0.002852759 seconds
 * Frequency       : 1.187 ppm fast
 * Residual freq   : +0.020 ppm
 * Skew            : 24.388 ppm
 * Root delay      : 0.000504752 seconds
 * Root dispersion : 0.001112565 seconds
 * Update interval : 64.4 seconds
 * Leap status     : Normal
 * ```
 * Yields: `reference_id = "A9FEA97B"`, `reference = "169.254.169.123"`, `stratum = 4`.
 * Yields: `system_time_s = -6.26e-7`, `last_offset_s = 0.002852759`, `leap_status = "Normal"`.
 * Yields: `synchronised = true`.
 *
 * `System time` is how far the system clock is from chronyd's estimate of true time, which
 * chronyd slews away (`slow`: the clock is behind, negative here; `fast`: ahead). `Leap status`
 * is `Normal`, `Insert second`, `Delete second` or `Not synchronised` (no source selected: the
 * clock runs free). `Reference ID` 0 with `()` is no source.
 *
 * Source: chronyc(1), the `tracking` command (the sample is the Amazon EC2 user guide's
 * "Set the time for your Linux instance", chrony on Amazon Linux).
 */
export interface ChronycTrackingFacts {
  /** The reference's refid, hex (`A9FEA97B`; `00000000` or `0` when none). */
  reference_id?: string;
  /** The reference's name or address, when printed. */
  reference?: string;
  stratum?: number;
  /** Offset of the system clock from NTP time, s: negative when slow, positive when fast. */
  system_time_s?: number;
  /** Offset measured at the last clock update, s. */
  last_offset_s?: number;
  /** Long-term average of the offset, s. */
  rms_offset_s?: number;
  leap_status?: string;
  /** False when the leap status is `Not synchronised`. */
  synchronised?: boolean;
}

const LINE = /^([A-Za-z][A-Za-z ()]*?)\s*: (.*)$/;
const SECONDS = /^([+-]?\d+(?:\.\d+)?) seconds(?: (slow|fast) of NTP time)?$/;

/** Reads one `Key : value` line into `facts`: false when the key is known and the value is not. */
function readLine(facts: ChronycTrackingFacts, key: string, value: string): boolean {
  const seconds = SECONDS.exec(value);
  switch (key) {
    case "Reference ID": {
      const m = /^([0-9A-Fa-f]+)(?: \((.*)\))?$/.exec(value);
      if (!m) return false;
      facts.reference_id = m[1];
      if (m[2]) facts.reference = m[2];
      return true;
    }
    case "Stratum":
      if (!/^\d+$/.test(value)) return false;
      facts.stratum = Number(value);
      return true;
    case "System time":
      if (!seconds?.[2]) return false;
      facts.system_time_s = Number(seconds[1]) * (seconds[2] === "slow" ? -1 : 1);
      return true;
    case "Last offset":
    case "RMS offset":
      if (!seconds || seconds[2]) return false;
      facts[key === "Last offset" ? "last_offset_s" : "rms_offset_s"] = Number(seconds[1]);
      return true;
    case "Leap status":
      facts.leap_status = value;
      facts.synchronised = !/^Not synchroni[sz]ed$/.test(value);
      return true;
    default:
      return true;
  }
}

/**
 * Parses `chronyc tracking` (see {@link ChronycTrackingFacts}). Throws UnrecognisedOutputError
 * when neither a `System time` nor a `Leap status` line was found.
 */
export function parseChronycTracking(lines: Iterable<string>): ParseResult<ChronycTrackingFacts> {
  const problems = new ProblemLog();
  const facts: ChronycTrackingFacts = {};
  let n = 0;
  for (const line of lines) {
    n++;
    if (line.trim() === "") continue;
    const m = LINE.exec(line.trim());
    if (!m) problems.add(n, line, "not a `Key : value` line of chronyc tracking");
    else if (!readLine(facts, m[1], m[2].trim())) problems.add(n, line, `${m[1]} not read`);
  }
  if (facts.system_time_s === undefined && facts.leap_status === undefined) {
    throw new UnrecognisedOutputError("chronyc-tracking", "no `System time` or `Leap status` line");
  }
  return { facts, problems: problems.list() };
}
