import { writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** Percentile (nearest rank) of a list of numbers. */
export function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank];
}

export function summary(values: number[]): {
  n: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
  mean: number;
} {
  const mean = values.reduce((a, b) => a + b, 0) / values.length;
  const r = (x: number) => Math.round(x * 10) / 10;
  return {
    n: values.length,
    p50: r(percentile(values, 50)),
    p90: r(percentile(values, 90)),
    p99: r(percentile(values, 99)),
    max: r(Math.max(...values)),
    mean: r(mean),
  };
}

/** Prints a result and writes it as JSON beside the other benchmark results. */
export function report(name: string, result: unknown): void {
  const path = join(tmpdir(), `diagbot-bench-slack-${name}.json`);
  writeFileSync(path, `${JSON.stringify(result, null, 2)}\n`);
  process.stdout.write(
    `\n== ${name} ==\n${JSON.stringify(result, null, 2)}\n(written to ${path})\n`,
  );
}
