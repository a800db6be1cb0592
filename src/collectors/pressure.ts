import type { Collector } from "./types.js";

/**
 * System-wide pressure stall information for one resource. Windowed: `total` only grows, so
 * the engine reads it at the start and the end, and `pressureDelta` (parsers/pressure.ts) gives the stall
 * share over the window. A kernel without PSI (before 4.20, or booted with psi=0) has no
 * such file: the collector is skipped, saying so.
 */
function psi(resource: "cpu" | "memory" | "io"): Collector {
  return {
    id: `pressure-${resource}`,
    title: `${resource} pressure stall information (/proc/pressure/${resource})`,
    cost: "cheap",
    stream: "stdout",
    timeoutSeconds: 5,
    capBytes: 4096,
    windowed: true,
    absent: {
      stderr: /No such file or directory/,
      reason: "this kernel has no pressure stall information (Linux 4.20+, not booted with psi=0)",
    },
    command: () => ({ argv: ["cat", `/proc/pressure/${resource}`], readsKernelOnly: true }),
  };
}

export const pressureCpu: Collector = psi("cpu");
export const pressureMemory: Collector = psi("memory");
export const pressureIo: Collector = psi("io");
