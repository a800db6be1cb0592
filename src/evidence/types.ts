import type { CollectedOutput } from "../model/collected.js";

/**
 * A number a paste gives for what it counts: `ss -tan | grep TIME-WAIT | wc -l` → command
 * `ss -tan`, filter `grep TIME-WAIT | wc -l`, value 12248.
 */
export interface PastedCount {
  command: string;
  filter: string;
  value: number;
  /** Collector whose output was counted, when the command names one. */
  collector?: string;
}

/** What an input given with `--from` was read as. */
export interface EvidenceRead {
  outputs: CollectedOutput[];
  /** Inputs not understood, each with the reason (shown in the report's `ignored`). */
  ignored: string[];
  notes: string[];
  counts: PastedCount[];
  /** Host, time and window a bundle's manifest gives; a pasted prompt's host is never used. */
  host?: string;
  startedAt?: string;
  windowSeconds?: number;
}
