/**
 * MCE/EDAC family: machine checks, EDAC memory-controller counts, APEI/GHES hardware-error
 * records and memory-failure recovery, summed per DIMM or controller. Sources:
 * arch/x86/kernel/cpu/mce/core.c and amd.c, drivers/edac/edac_mc.c, sb_edac.c and mce_amd.c,
 * drivers/acpi/apei/ghes.c, drivers/firmware/efi/cper.c, mm/memory-failure.c.
 */
import type { MceEvent } from "./events.js";
import type { Family, KernelLogReader, Taken } from "./reader.js";
import { Match } from "./text.js";

/** arch/x86/kernel/cpu/mce/core.c mce_notify_irq: `Machine check events logged`; print_mce: `CPU %d: Machine Check[ Exception]: %Lx Bank %d: %016Lx` (drivers/edac/sb_edac.c: `Machine Check Event`); `TSC %llx ADDR %llx MISC %llx`. */
const MCE_LOGGED = /Machine check events logged/;
const MCE_PRINT =
  /CPU (\d+): Machine Check(?: Exception| Event)?: (?:[0-9a-f]+ )?Bank (\d+): ([0-9a-f]+)/i;
/** mce/core.c mce_panic: `Fatal machine check` (≤ 4.0 `Fatal Machine check`), `Fatal local machine check` (LMCE, 4.2+), `… on current CPU`, `… from unknown source`. */
const MCE_EXCEPTION =
  /Machine Check Exception|Kernel panic - not syncing: (?:Fatal )?(?:local )?[Mm]achine check|Machine check: /;
/** drivers/edac/edac_mc.c edac_raw_mc_handle_error: `EDAC MC%d: %d %s %s%son %s (%s%s%s)` (CE/UE); ≤ 3.x `EDAC MC%d: CE page 0x%lx, … label "%s": %s` / `UE …`. */
const EDAC_COUNT = /EDAC (?:\w+ )?MC(\d+): (\d+) (CE|UE) (.*?)\s*on (\S+)/;
const EDAC_OLD = /EDAC (?:\w+ )?MC(\d+): (CE|UE)\b.*?(?:label "([^"]*)")?/;
/** drivers/edac/*: `EDAC sbridge MC1: HANDLING MCE MEMORY ERROR`, `… CPU 1: Machine Check Event: 0 Bank 11: 8c00004f000800c2`, `ADDR …`. */
const EDAC_ANY = /^(?:\[Hardware Error\]: )?EDAC\b/;
/** drivers/firmware/efi/cper.c / drivers/acpi/apei/ghes.c: `{1}[Hardware Error]: Hardware error from APEI Generic Hardware Error Source: %d`, `event severity: %s`. */
const GHES = /\[Hardware Error\]:/;
const GHES_SEVERITY = /event severity: (corrected|recoverable|fatal|info)/;
/** arch/x86/kernel/cpu/mce/amd.c / drivers/edac/mce_amd.c decode: `Corrected error, no action required.`, `Uncorrected, software …`. */
const AMD_SEVERITY = /\[Hardware Error\]: (Corrected error|Uncorrected|Deferred error)/;
/** mm/memory-failure.c: `Memory failure: %#lx: recovery action for %s: %s` (3.10–4.4: `MCE %#lx: %s page recovery: %s`, `MCE %#lx: recovery action for %s: %s`); arch/x86/kernel/cpu/mce/core.c `MCE: Killing %s:%d due to hardware memory corruption`. */
const MEMORY_FAILURE =
  /^(?:Memory failure: 0x[0-9a-f]+:|MCE 0x[0-9a-f]+: (?:.+ page recovery|recovery action for)|MCE: Killing \S+ due to hardware memory corruption|mce: Uncorrected hardware memory error)/;
/** The first line of a machine-check report (a CPU-feature line `mce: CPU supports …` is not one). */
const MCE_START =
  /HANDLING MCE MEMORY ERROR|Hardware error from APEI|\[Hardware Error\]: (?:Corrected error|Uncorrected|Deferred error)/;
const MAX_LOCATIONS = 256;

/** Reads the fields of one machine-check line into `e`: true when it gave the error count. */
function mceDetail(e: MceEvent, msg: string): boolean {
  const mt = new Match();
  let counted = false;
  if (mt.test(EDAC_COUNT, msg)) {
    e.mc = Number(mt.m[1]);
    e.count = Number(mt.m[2]);
    e.corrected = mt.m[3] === "CE";
    e.error = mt.m[4].trim() || undefined;
    if (e.error === undefined) delete e.error;
    if (!/^unknown$/i.test(mt.m[5])) e.dimm = mt.m[5];
    counted = true;
  } else if (mt.test(EDAC_OLD, msg)) {
    e.mc = Number(mt.m[1]);
    e.corrected = mt.m[2] === "CE";
    e.count = 1;
    if (mt.m[3]) e.dimm = mt.m[3];
    counted = true;
  } else if (mt.test(MCE_PRINT, msg)) {
    e.cpu = Number(mt.m[1]);
    e.bank = Number(mt.m[2]);
    e.status = mt.m[3];
    // arch/x86/include/asm/mce.h: MCI_STATUS_UC = bit 61, MCI_STATUS_PCC = bit 57
    if (mt.m[3].length === 16 && e.corrected === undefined) {
      const hi = Number.parseInt(mt.m[3].slice(0, 8), 16);
      const uc = (hi >>> 29) & 1;
      const pcc = (hi >>> 25) & 1;
      e.corrected = uc === 0 && pcc === 0;
    }
    if (/Exception/.test(msg)) e.corrected = false;
  } else if (mt.test(GHES_SEVERITY, msg)) {
    e.corrected = mt.m[1] === "corrected";
    counted = true;
  } else if (mt.test(AMD_SEVERITY, msg)) {
    e.corrected = mt.m[1] === "Corrected error";
    counted = true;
  } else if (MEMORY_FAILURE.test(msg) || MCE_EXCEPTION.test(msg)) {
    e.corrected = false;
  }
  readLocation(e, msg);
  return counted;
}

/** The address, DIMM and controller a line names. */
function readLocation(e: MceEvent, msg: string): void {
  const mt = new Match();
  if (mt.test(/\bADDR (?:0x)?([0-9a-f]+)/, msg) && !/MISC/.test(msg.slice(0, mt.m.index)))
    e.address ??= mt.m[1];
  if (
    mt.test(/DIMM location: ([^.,(]+?)\s*(?:[.,(]|$)/, msg) ||
    mt.test(/\blabel "([^"]+)"/, msg)
  ) {
    if (!/^(?:not present|unknown)/i.test(mt.m[1])) e.dimm ??= mt.m[1];
  }
  if (mt.test(/EDAC (?:\w+ )?MC(\d+):/, msg)) e.mc ??= Number(mt.m[1]);
}

/** Adds a machine-check event to the reader's per-location sums. */
function recordMce(r: KernelLogReader, e: MceEvent): void {
  if (e.corrected === undefined) return;
  const loc =
    e.dimm ??
    (e.mc !== undefined ? `MC${e.mc}` : e.bank !== undefined ? `bank ${e.bank}` : "unknown");
  let s = r.mceByLocation.get(loc);
  if (!s) {
    if (r.mceByLocation.size >= MAX_LOCATIONS) return;
    s = { corrected: 0, uncorrected: 0 };
    r.mceByLocation.set(loc, s);
  }
  if (e.corrected) s.corrected += e.count ?? 1;
  else s.uncorrected += e.count ?? 1;
}

/** `true` for a CE count line, `false` for a UE one, undefined for a line that counts nothing. */
function countSeverity(msg: string): boolean | undefined {
  const counted = EDAC_COUNT.exec(msg);
  if (counted) return counted[3] === "CE";
  const old = EDAC_OLD.exec(msg);
  return old ? old[2] === "CE" : undefined;
}

/**
 * A following line of a machine-check report. A second count line starts another event, and
 * so does a count line whose severity contradicts the report's (an EDAC `1 CE` logged after a
 * `Machine check: Processor context corrupt` is another error, not the same one).
 */
function takeMceLine(e: MceEvent, state: { done: boolean }, msg: string): Taken {
  if (
    state.done &&
    (MCE_LOGGED.test(msg) ||
      EDAC_COUNT.test(msg) ||
      EDAC_OLD.test(msg) ||
      /HANDLING MCE MEMORY ERROR|Hardware error from APEI/.test(msg))
  ) {
    return false;
  }
  const severity = countSeverity(msg);
  if (severity !== undefined && e.corrected !== undefined && severity !== e.corrected) return false;
  if (
    MCE_LOGGED.test(msg) ||
    EDAC_ANY.test(msg) ||
    GHES.test(msg) ||
    /^mce: /.test(msg) ||
    MEMORY_FAILURE.test(msg)
  ) {
    if (mceDetail(e, msg)) state.done = true;
    return true;
  }
  return false;
}

export const mce: Family = {
  name: "mce",
  sources: [
    "arch/x86/kernel/cpu/mce/core.c",
    "arch/x86/kernel/cpu/mce/amd.c",
    "drivers/edac/edac_mc.c",
    "drivers/edac/sb_edac.c",
    "drivers/edac/mce_amd.c",
    "drivers/acpi/apei/ghes.c",
    "drivers/firmware/efi/cper.c",
    "mm/memory-failure.c",
  ],
  classify(r, p, t, raw) {
    if (
      !(
        MCE_LOGGED.test(t) ||
        EDAC_COUNT.test(t) ||
        EDAC_OLD.test(t) ||
        MCE_PRINT.test(t) ||
        MCE_START.test(t) ||
        MEMORY_FAILURE.test(t) ||
        (MCE_EXCEPTION.test(t) && !/^mce: CPU supports/.test(t))
      )
    ) {
      return false;
    }
    const e: MceEvent = { ...r.base("mce", p, raw), kind: "mce" };
    if (/^Kernel panic - not syncing:/.test(t)) e.panic = true;
    const state = { done: mceDetail(e, t) };
    r.open(
      { event: e, take: (_p, msg) => takeMceLine(e, state, msg), close: () => recordMce(r, e) },
      p,
    );
    return true;
  },
};
