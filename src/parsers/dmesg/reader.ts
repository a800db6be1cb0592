import type { DmesgEvent, DmesgEventBase, DmesgEventKind } from "./events.js";
import type { Prefixed } from "./prefix.js";
import { clip } from "./text.js";

/**
 * The state of one kernel-log read: the events kept per kind, the multi-line report being read
 * (a group), and the per-process and per-location tallies. The family classifiers (families.ts)
 * open groups and emit events through it; ../dmesg.ts drives it line by line.
 *
 * Memory stays bounded: each kind keeps its first 50 and last 450 events (`count` stays complete).
 */

const KEEP_FIRST = 50;
const KEEP_LAST = 450;
/** A report's lines arrive within a few seconds; a longer gap ends it. */
export const GROUP_GAP_S = 30;

/** The events of one kind: the first KEEP_FIRST and a ring of the last KEEP_LAST. */
export class KindStore {
  first: DmesgEvent[] = [];
  last: DmesgEvent[] = [];
  next = 0;
  count = 0;
  add(e: DmesgEvent): void {
    this.count++;
    if (this.first.length < KEEP_FIRST) this.first.push(e);
    else if (this.last.length < KEEP_LAST) this.last.push(e);
    else {
      this.last[this.next] = e;
      this.next = (this.next + 1) % KEEP_LAST;
    }
  }
  list(): DmesgEvent[] {
    return [...this.first, ...this.last.slice(this.next), ...this.last.slice(0, this.next)];
  }
}

/** What a report makes of a following line: not its own, taken, or taken as its last line. */
export type Taken = boolean | "end";

/** A multi-line report being read (OOM report, call trace, SCSI sense block, …). */
export interface Group {
  event: DmesgEvent;
  /** t_s of the last line taken, to end the group after a gap. */
  last_t?: number;
  /** Already counted (a reopened OOM report). */
  emitted?: boolean;
  /** Reads a following line of the report (`msg` is the message after the prefix). */
  take(p: Prefixed, msg: string): Taken;
  /** Runs when the report ends, before its event is kept. */
  close?(): void;
}

/**
 * One family of kernel messages: its patterns, written from the format strings of `sources`,
 * and the classifier that turns a line into an event or opens a report.
 */
export interface Family {
  name: string;
  /** Kernel source files (and driver or documentation names) the messages come from. */
  sources: readonly string[];
  /**
   * Reads a line no open report took (`t`: the message, leading blanks removed; `raw`: the
   * whole line): true when it was an event of this family (emitted, or a report opened).
   */
  classify(r: KernelLogReader, p: Prefixed, t: string, raw: string): boolean;
}

export class KernelLogReader {
  /** 1-based number of the line being read. */
  n = 0;
  /** Boot markers seen; events remember the boot they came from. */
  boots = 0;
  /** Events emitted so far (all kinds). */
  eventsSeen = 0;
  /** The report being read. */
  group: Group | undefined;
  /** The last OOM report without a victim, which later lines of the same report may complete. */
  pendingOom: Group | undefined;
  readonly stores = new Map<DmesgEventKind, KindStore>();
  /** OOM victims by command name (see DmesgFacts.oom_kills_by_process). */
  readonly byProcess = new Map<string, { count: number; anon_rss_kb: number[] }>();
  /** Machine-check errors per location (see DmesgFacts.mce_by_location). */
  readonly mceByLocation = new Map<string, { corrected: number; uncorrected: number }>();

  /** The fields every event has, for the line being read. */
  base(kind: DmesgEventKind, p: Prefixed, text: string): DmesgEventBase {
    const e: DmesgEventBase = { kind, line: this.n, text: clip(text) };
    if (p.t_s !== undefined) e.t_s = p.t_s;
    if (p.wallclock !== undefined) e.wallclock = p.wallclock;
    if (p.level !== undefined) e.level = p.level;
    return e;
  }

  /** Keeps an event (within its kind's cap). */
  emit(e: DmesgEvent): void {
    (e as DmesgEventBase & { boot?: number }).boot = this.boots;
    let s = this.stores.get(e.kind);
    if (!s) {
      s = new KindStore();
      this.stores.set(e.kind, s);
    }
    s.add(e);
    this.eventsSeen++;
  }

  /** A one-line event: ends the open report and keeps `e`; true (the line was an event). */
  single(e: DmesgEvent): true {
    this.closeGroup();
    this.emit(e);
    return true;
  }

  /** Ends the open report and starts `g`, whose first line is `p`. */
  open(g: Group, p: Prefixed): void {
    this.closeGroup();
    g.last_t = p.t_s;
    this.group = g;
  }

  /** Makes `g`, a report already closed, the open one again. */
  resume(g: Group): void {
    this.closeGroup();
    this.group = g;
  }

  /** Ends the open report: its event is kept (once). */
  closeGroup(): void {
    const g = this.group;
    if (!g) return;
    this.group = undefined;
    g.close?.();
    const t = g.event as { trace_unreliable?: string[] };
    if (t.trace_unreliable && t.trace_unreliable.length === 0) delete t.trace_unreliable;
    if (!g.emitted) this.emit(g.event);
    g.emitted = true;
  }

  /** Tries the line as part of the open report; true when taken. */
  take(p: Prefixed, msg: string): boolean {
    const g = this.group;
    if (!g) return false;
    if (g.last_t !== undefined && p.t_s !== undefined && p.t_s - g.last_t > GROUP_GAP_S)
      return false;
    const taken = g.take(p, msg);
    if (taken === "end") {
      g.event.end_line = this.n;
      this.closeGroup();
      return true;
    }
    if (taken) {
      g.event.end_line = this.n;
      if (p.t_s !== undefined) g.last_t = p.t_s;
    }
    return taken;
  }
}
