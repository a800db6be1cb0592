import type { SourceId } from "../sources/index.js";

/**
 * Types of the derive layer: the facts that runbook rules read, computed from the parsed
 * output of every collector (insights-core's "combiner" layer).
 *
 * A derive module is a pure function `(parsed, ctx) => FactBag` that reads the facts of one
 * or more parsers and writes facts under declared paths. Each module declares its paths in a
 * catalogue ({@link FactSpec}); the runbook loader refuses a rule that reads a path no module
 * declares, and checks thresholds against the declared type.
 */

/** Type of a fact as the rules see it. `string[]` facts compare element-wise ("any element"). */
export type FactType = "number" | "string" | "boolean" | "string[]";

/**
 * One declared fact path. `Id` is the sources it may name: the registry's ids for the packaged
 * derive modules, any collector id for a catalogue given to the runbook loader.
 */
export interface FactSpec<Id extends string = SourceId> {
  /** Dotted path in the fact tree, e.g. `disk.worst.util_pct`. */
  path: string;
  type: FactType;
  /** Unit of a number: `%`, `ms`, `s`, `/s`, `bytes`, `kB`, `pages`, `count`, `ratio` ... */
  unit?: string;
  /** Sources whose output the fact is computed from (checked against the registry). */
  from: readonly Id[];
  /**
   * True for a configured limit or setting read from a file that otherwise holds counters (a
   * cgroup's cpu.max, memory.max, pids.max): the coverage table counts it as a limit.
   */
  limit?: true;
  /** One sentence for `runbooks lint` and rule authors. */
  doc: string;
  /**
   * How a person says the value, for "checked and fine": a phrase where `{}` is the value with
   * its unit (`open files at {} of the limit`), or for a boolean the sentence of each state.
   * Without it the report says `path is value unit`.
   */
  says?: string | { yes: string; no: string };
}

/** Parsed output of one collector: `facts` of `<id>.out`, `start` of `<id>.start.out`. */
export interface ParsedEntry {
  facts: unknown;
  /** Facts of the first snapshot of a windowed counter, when one was taken. */
  start?: unknown;
  /** Only part of the output was given (a filtered paste): what is absent from it proves nothing. */
  partial?: true;
}

/** Parsed output of every collector that produced any, by collector id. */
export type ParsedSet = ReadonlyMap<string, ParsedEntry>;

export interface DeriveContext {
  /** Seconds between the start and end snapshots; undefined for a replay without a window. */
  windowSeconds: number | undefined;
  /**
   * Wall-clock time of the diagnosis. Kernel log ages do not use it: they come from
   * /proc/uptime against monotonic stamps, else from the log's newest line (wall-clock stamps
   * of `dmesg -T` and syslog carry no zone and drift after suspend).
   */
  now?: Date;
  /** Look-back for kernel log events, seconds; default 3600. Older events are history. */
  lookbackSeconds?: number;
  /** True when the collectors ran as root; undefined when not known (a replay). */
  root?: boolean;
  /**
   * `past`: judge the kernel log events older than the look-back instead of the current ones
   * (the report's history); every other module derives as usual.
   */
  epoch?: "current" | "past";
  /**
   * The PIDs a `--pid`/`--process` scope limited the per-process collectors to (read from
   * pidstat's `-p` arguments, so a replayed bundle keeps its scope); empty or absent: the host.
   */
  scopePids?: readonly number[];
}

/** A fact tree: nested plain objects whose leaves are numbers, strings, booleans, string[]. */
export type FactTree = { [key: string]: FactValue | FactTree };
export type FactValue = number | string | boolean | string[];

/** The output of {@link derive}: facts, where each came from, and how counters were judged. */
export interface DerivedFacts {
  tree: FactTree;
  /** Raw output line that shows a fact (an iostat row, a dmesg line), by fact path. */
  excerpts: Map<string, string>;
  /** Collector id each fact was computed from, by fact path. */
  sources: Map<string, string>;
  /**
   * Seconds since the kernel log event a fact's excerpt cites, by fact path (only facts whose
   * excerpt is a dated kernel log line); absent when nothing was dated.
   */
  ages?: Map<string, number>;
  /**
   * `window` when every growing counter that was read had a start and an end snapshot;
   * `since-boot` when at least one was judged from a single snapshot (totals since boot).
   */
  mode: "window" | "since-boot";
  /**
   * Collectors (ids) whose output was only part of it (a filtered paste: `dmesg | tail`): a
   * fact read from them can make a rule hold, never rule a cause out.
   */
  partial?: ReadonlySet<string>;
  /** Things a person should know: history events, counters judged since boot. */
  notes: string[];
}

/**
 * What one derive module writes: flat `path → value` facts with their excerpt and source.
 * Building one has no effect outside the object, so modules stay pure.
 */
export class FactBag {
  readonly values = new Map<string, FactValue>();
  readonly excerpts = new Map<string, string>();
  readonly sources = new Map<string, string>();
  /** Seconds since the dated kernel log line a fact's excerpt cites, by fact path. */
  readonly ages = new Map<string, number>();
  readonly notes: string[] = [];
  /** True when a growing counter was judged from one snapshot. */
  sinceBoot = false;

  /**
   * Records a fact. `undefined`, `NaN` and infinite numbers are ignored (the fact stays
   * absent, so rules reading it are not evaluated rather than wrong).
   */
  set(path: string, value: FactValue | undefined, source: string, excerpt?: string): this {
    if (value === undefined) return this;
    if (typeof value === "number" && !Number.isFinite(value)) return this;
    this.values.set(path, value);
    this.sources.set(path, source);
    if (excerpt !== undefined && excerpt.trim() !== "") this.excerpts.set(path, excerpt.trim());
    return this;
  }

  /** Adds a note once. */
  note(text: string): this {
    if (!this.notes.includes(text)) this.notes.push(text);
    return this;
  }
}

/**
 * A fact as a derive module declares it: `from` may be left out when the fact is computed
 * from every source the module needs.
 */
export type ModuleFactSpec = Omit<FactSpec, "from"> & { from?: readonly SourceId[] };

/**
 * A derive module: the sources it reads, its declared facts and the pure function that
 * computes them (insights-core's combiner with its dependencies).
 */
export interface DeriveModule {
  id: string;
  /**
   * The sources whose parsed output the module reads. `derive` is given only these, so a
   * source read without being declared is absent, never silently used.
   */
  needs: readonly SourceId[];
  provides: readonly ModuleFactSpec[];
  derive(parsed: ParsedSet, ctx: DeriveContext): FactBag;
}
