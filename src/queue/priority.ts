/**
 * BullMQ job priorities of the `diagnose` queue, the one place that decides them (a lower number
 * runs first; BullMQ takes 1 to 2 097 152 and keeps insertion order within a priority). Two bands:
 * interactive requests (Slack `/diagnose`, its buttons) in `[interactive, sweep)`, scheduled sweep
 * work from `sweep` up, so any person's request goes before queued sweep work. Within a band a
 * requester's own backlog goes behind everyone else: each job of the same requester already
 * queued adds one, so another person's first request overtakes it.
 */
export const PRIORITY = {
  /** A person's request with nothing of theirs queued. */
  interactive: 1,
  /** Scheduled sweep work with nothing of that sweep queued. */
  sweep: 100_000,
} as const;

/** BullMQ's largest priority (2^21). */
export const PRIORITY_MAX = 2_097_152;

/** Which band a job's priority is taken from. */
export type PriorityBand = keyof typeof PRIORITY;

/**
 * The priority of a new job.
 * @param band interactive or sweep
 * @param queuedAhead jobs of the same requester queued and not yet started (0 or more)
 * @returns a BullMQ priority that stays inside the band (a backlog of 100 000 interactive jobs
 *   does not reach sweep priorities)
 */
export function jobPriority(band: PriorityBand, queuedAhead: number): number {
  const top = band === "interactive" ? PRIORITY.sweep - 1 : PRIORITY_MAX;
  return Math.min(PRIORITY[band] + Math.max(0, Math.floor(queuedAhead)), top);
}
