/**
 * Clock family: a clocksource marked unstable by the timekeeping watchdog, and the TSC marked
 * unstable (with the reason the kernel gives), with the watchdog and the clocksource switched to.
 * Sources: kernel/time/clocksource.c, arch/x86/kernel/tsc.c.
 */
import type { ClocksourceEvent } from "./events.js";
import type { Family, Taken } from "./reader.js";
import { Match } from "./text.js";

/** kernel/time/clocksource.c: `timekeeping watchdog on CPU%d: Marking clocksource '%s' as unstable because the skew is too large:`, `'%s' wd_now: …`, `Switched to clocksource %s`; ≤ 4.x: `Clocksource %s unstable (delta = %Ld ns)`. */
const CS_UNSTABLE = /Marking clocksource '([^']+)' as unstable|Clocksource (\S+) unstable \(delta/;
const CS_WATCHDOG_LINE = /^(?:clocksource:)?\s+'([^']+)' wd_(?:nsec|now):/;
const CS_SWITCHED = /^(?:clocksource: |Time: )?Switched to clocksource (\S+)/;
/** arch/x86/kernel/tsc.c: `Marking TSC unstable due to %s`, `TSC found unstable after boot, most likely due to broken BIOS. Use 'tsc=unstable'.` */
const TSC_UNSTABLE =
  /^(?:tsc: )?(?:Marking TSC unstable due to (.+)|(.+) detected: marking TSC unstable\.|TSC found unstable after boot|Measured -?\d+ cycles (TSC warp between CPUs), turning off TSC clock)/;
/**
 * kernel/time/clocksource.c cs_watchdog_read (5.4.273, 5.10.89, 5.14–6.1): `timekeeping watchdog
 * on CPU%d: %s read-back delay of %lldns, attempt %d, marking unstable` (%s = the watchdog) and
 * 6.3+ `… wd-%s-wd excessive read-back delay of %lldns vs. limit of %ldns, …, marking %s
 * unstable` (%s = the clocksource): the watchdog's own reads were delayed, not the clock skewed.
 */
const CS_READ_BACK =
  /timekeeping watchdog on CPU\d+: (?:(\S+) read-back delay of \d+ns, attempt \d+, marking unstable|wd-\S+-wd excessive read-back delay of \d+ns .*marking (\S+) unstable)/;
const CS_CONT =
  /^(?:clocksource:\s+'|tsc: |sched_clock: Marking unstable|clocksource: +Clocksource '|clocksource: +'|clocksource: Switched|TSC found unstable|Switched to clocksource)/;

/** A following line of a clocksource report: the watchdog's line, the switch, other clocksource lines. */
function takeClockLine(e: ClocksourceEvent, msg: string): Taken {
  const mt = new Match();
  if (mt.test(CS_WATCHDOG_LINE, msg) && mt.m[1] !== e.clocksource) {
    e.watchdog ??= mt.m[1];
    return true;
  }
  if (mt.test(CS_SWITCHED, msg)) {
    e.switched_to = mt.m[1];
    return true;
  }
  return (
    CS_CONT.test(msg) ||
    CS_WATCHDOG_LINE.test(msg) ||
    TSC_UNSTABLE.test(msg) ||
    /^clocksource: /.test(msg)
  );
}

export const clock: Family = {
  name: "clock",
  sources: ["kernel/time/clocksource.c", "arch/x86/kernel/tsc.c", "arch/x86/kernel/tsc_sync.c"],
  classify(r, p, t, raw) {
    const mt = new Match();
    let e: ClocksourceEvent;
    if (mt.test(CS_UNSTABLE, t)) {
      e = {
        ...r.base("clocksource-unstable", p, raw),
        kind: "clocksource-unstable",
        clocksource: mt.m[1] ?? mt.m[2],
      };
    } else if (mt.test(TSC_UNSTABLE, t)) {
      e = {
        ...r.base("clocksource-unstable", p, raw),
        kind: "clocksource-unstable",
        clocksource: "tsc",
      };
      const reason = mt.m[1] ?? mt.m[2] ?? mt.m[3];
      if (reason !== undefined) e.reason = reason;
    } else if (mt.test(CS_READ_BACK, t)) {
      e = {
        ...r.base("clocksource-unstable", p, raw),
        kind: "clocksource-unstable",
        reason: "read-back delay",
      };
      if (mt.m[1]) e.watchdog = mt.m[1];
      if (mt.m[2]) e.clocksource = mt.m[2];
    } else return false;
    r.open({ event: e, take: (_p, msg) => takeClockLine(e, msg) }, p);
    return true;
  },
};
