import { blockedModule } from "./blocked.js";
import { cgroupModule } from "./cgroup.js";
import { conntrackModule } from "./conntrack.js";
import { cpuModule } from "./cpu.js";
import { diskModule } from "./disk.js";
import { extrasModule } from "./extras.js";
import { fdModule } from "./fd.js";
import { fsModule } from "./fs.js";
import { hwErrorsModule } from "./hw-errors.js";
import { kernelLogModule } from "./kernel-log.js";
import { kthreadsModule } from "./kthreads.js";
import { memoryModule } from "./memory.js";
import { netModule } from "./net.js";
import { nfsClientModule } from "./nfs-client.js";
import { nicModule } from "./nic.js";
import { rasModule } from "./ras.js";
import { schedModule } from "./sched.js";
import { smartModule } from "./smart.js";
import { syscallsModule } from "./syscalls.js";
import { sysctlModule } from "./sysctl.js";
import { timesyncModule } from "./timesync.js";
import { tunablesModule } from "./tunables.js";
import type {
  DeriveContext,
  DerivedFacts,
  DeriveModule,
  FactSpec,
  FactTree,
  FactValue,
  ParsedEntry,
  ParsedSet,
} from "./types.js";

export type {
  DeriveContext,
  DerivedFacts,
  DeriveModule,
  FactSpec,
  FactTree,
  FactType,
  FactValue,
  ParsedEntry,
  ParsedSet,
} from "./types.js";
export { FactBag } from "./types.js";

/**
 * The derive layer: from the parsed output of every collector to the fact tree that runbook
 * rules read. Each module is a pure function over the parsed output of the sources it needs;
 * this file runs them all, merges what they wrote, and publishes the catalogue of every
 * declared fact path (a fact's `from` is its module's `needs` unless it names fewer).
 */

/** Every derive module, in one explicit list. */
export const MODULES: readonly DeriveModule[] = [
  sysctlModule,
  cpuModule,
  memoryModule,
  diskModule,
  fsModule,
  fdModule,
  netModule,
  conntrackModule,
  nfsClientModule,
  nicModule,
  cgroupModule,
  schedModule,
  blockedModule,
  syscallsModule,
  kernelLogModule,
  extrasModule,
  kthreadsModule,
  tunablesModule,
  hwErrorsModule,
  smartModule,
  rasModule,
  timesyncModule,
];

const WINDOW_FACTS: FactSpec[] = [
  {
    path: "window.seconds",
    type: "number",
    unit: "s",
    from: [],
    doc: "Length of the sampling window (absent for a replay without one).",
  },
  {
    path: "window.mode",
    type: "string",
    from: [],
    doc: "`window` when growing counters were judged over the window, `since-boot` when one was read once.",
  },
];

/**
 * Every fact path a rule may name, with its type, unit, source collectors and meaning. The
 * runbook loader refuses rules that name anything else.
 */
export const FACT_CATALOGUE: readonly FactSpec[] = [
  ...WINDOW_FACTS,
  ...MODULES.flatMap((m) => m.provides.map((spec) => ({ ...spec, from: spec.from ?? m.needs }))),
];

/** The parsed output of the sources a module needs, and nothing else. */
export function onlyNeeded(parsed: ParsedSet, needs: readonly string[]): ParsedSet {
  const view = new Map<string, ParsedEntry>();
  for (const id of needs) {
    const entry = parsed.get(id);
    if (entry) view.set(id, entry);
  }
  return view;
}

function setPath(tree: FactTree, path: string, value: FactValue): void {
  const keys = path.split(".");
  let node = tree;
  for (const key of keys.slice(0, -1)) {
    const next = node[key];
    if (typeof next !== "object" || next === null || Array.isArray(next)) {
      const fresh: FactTree = {};
      node[key] = fresh;
      node = fresh;
    } else {
      node = next as FactTree;
    }
  }
  node[keys[keys.length - 1]] = value;
}

/**
 * Runs every derive module over the parsed output and merges their facts.
 *
 * @param parsed parsed facts per collector id (`facts` of `<id>.out`, `start` of
 *   `<id>.start.out`)
 * @param ctx window length and clock; `windowSeconds` undefined for a replay without one
 * @returns the fact tree, the raw line and collector behind each fact, whether growing
 *   counters were judged over the window or since boot, and notes for the report. A module
 *   that throws (a parser changed its shape) is skipped with a note; it never fails the
 *   diagnosis.
 */
export function derive(parsed: ParsedSet, ctx: DeriveContext): DerivedFacts {
  const out: DerivedFacts = {
    tree: {},
    excerpts: new Map(),
    sources: new Map(),
    ages: new Map(),
    mode: "window",
    notes: [],
  };
  for (const m of MODULES) {
    let bag: ReturnType<DeriveModule["derive"]>;
    try {
      bag = m.derive(onlyNeeded(parsed, m.needs), ctx);
    } catch (err) {
      out.notes.push(`derive ${m.id}: skipped (${(err as Error).message})`);
      continue;
    }
    for (const [path, value] of bag.values) {
      setPath(out.tree, path, value);
      const source = bag.sources.get(path);
      if (source) out.sources.set(path, source);
      const excerpt = bag.excerpts.get(path);
      if (excerpt) out.excerpts.set(path, excerpt);
      const age = bag.ages.get(path);
      if (age !== undefined) out.ages?.set(path, age);
    }
    for (const note of bag.notes) if (!out.notes.includes(note)) out.notes.push(note);
    if (bag.sinceBoot) out.mode = "since-boot";
  }
  if (ctx.windowSeconds !== undefined) setPath(out.tree, "window.seconds", ctx.windowSeconds);
  setPath(out.tree, "window.mode", out.mode);
  const partial = [...parsed].flatMap(([id, entry]) => (entry.partial ? [id] : []));
  if (partial.length > 0) out.partial = new Set(partial);
  return out;
}
