/**
 * Where a diagnosis is, as the engine reports it to a door (the terminal's progress line, the
 * Slack root message): the collection with its sampling window counted down, then parsing and
 * evaluating, then the door's own answering.
 */
export interface Progress {
  /**
   * `sampling`: the window is running; `collecting`: the window is over, collectors are
   * finishing; `parsing` / `evaluating`: the engine reads the outputs and runs the rules;
   * `answering`: the door renders or posts the answer.
   */
  phase: "sampling" | "collecting" | "parsing" | "evaluating" | "answering";
  /** Collectors finished, of `total`. */
  done: number;
  total: number;
  /** Collectors still running, in plan order (sampling tools during the window). */
  running: string[];
  /** Whole seconds left in the sampling window (while `sampling`), of `windowSeconds`. */
  windowLeft?: number;
  windowSeconds?: number;
}

/**
 * The progress as one line of text, the same for every door: `sampling: 3 s left of 5 s
 * (iostat, mpstat, vmstat), 22/35 collectors done`, `collecting: 33/35 collectors done
 * (waiting for perf-sched)`, `parsing 35 outputs`, `evaluating the rules`, `answering`. At most
 * four running ids are named.
 */
export function progressText(p: Progress): string {
  const names = (ids: string[]) =>
    ids.length > 4 ? `${ids.slice(0, 4).join(", ")} +${ids.length - 4}` : ids.join(", ");
  const count = `${p.done}/${p.total} collectors done`;
  switch (p.phase) {
    case "sampling":
      return `sampling: ${p.windowLeft ?? 0} s left of ${p.windowSeconds ?? 0} s${p.running.length ? ` (${names(p.running)})` : ""}, ${count}`;
    case "collecting":
      return `collecting: ${count}${p.running.length ? ` (waiting for ${names(p.running)})` : ""}`;
    case "parsing":
      return `parsing ${p.total} outputs`;
    case "evaluating":
      return "evaluating the rules";
    case "answering":
      return "answering";
  }
}
