import { readdirSync, readFileSync } from "node:fs";

/**
 * A run's own processes, found by the `DIAGBOT_RUN` marker in their environment (every
 * remote command of a run carries it, see src/transport/watchdog.ts), never by global counts:
 * other work runs on this machine too.
 */

/** Pids (with their command names) of the processes whose environment holds `DIAGBOT_RUN=marker`. */
export function marked(marker: string): { pid: number; comm: string }[] {
  const needle = `\0DIAGBOT_RUN=${marker}\0`;
  const found: { pid: number; comm: string }[] = [];
  for (const name of readdirSync("/proc")) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const env = `\0${readFileSync(`/proc/${name}/environ`, "latin1")}`;
      if (!env.includes(needle)) continue;
      found.push({ pid: Number(name), comm: readFileSync(`/proc/${name}/comm`, "utf8").trim() });
    } catch {
      // gone meanwhile
    }
  }
  return found;
}

/** The first value `probe` gives other than undefined, polled every 100 ms; undefined after `timeoutMs`. */
export async function until<T>(
  probe: () => T | undefined,
  timeoutMs: number,
): Promise<T | undefined> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = probe();
    if (v !== undefined || Date.now() > end) return v;
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** SIGKILLs every process of the run (the test's own leftovers, whatever it asserted). */
export function killMarked(marker: string): void {
  for (const p of marked(marker)) {
    try {
      process.kill(p.pid, "SIGKILL");
    } catch {
      // gone meanwhile
    }
  }
}
