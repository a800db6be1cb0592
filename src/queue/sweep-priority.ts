/**
 * BullMQ priority of a sweep's host jobs (1 is the highest prioritized, 2^21 the lowest; a job
 * added without a priority, as every interactive `/diagnose` job is, is taken before any
 * prioritized one). Sweep host jobs also run on a queue and worker slots of their own
 * (src/sweeps/schedule.ts), so a 50-host sweep never holds a slot a `/diagnose` is waiting
 * for; the priority orders them should they ever share a queue with interactive jobs.
 */
export const SWEEP_PRIORITY = 1000;
