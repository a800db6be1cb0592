import type { Progress } from "../model/progress.js";

/**
 * At most one progress update every `intervalMs` (Slack's chat.update is rate-limited per
 * channel, about one call a second with bursts: https://api.slack.com/methods/chat.update,
 * Tier 3; the worker's default is one every 3 s): the first update goes out at once, later ones
 * are folded into one trailing update carrying the latest progress. Updates never overlap, so
 * counts arrive in rising order.
 */
export class ProgressThrottle {
  private last = 0;
  private pending: Progress | undefined;
  private timer: NodeJS.Timeout | undefined;
  private inFlight: Promise<void> = Promise.resolve();
  private stopped = false;

  constructor(
    private readonly intervalMs: number,
    private readonly send: (progress: Progress) => Promise<void>,
  ) {}

  update(progress: Progress): void {
    if (this.stopped) return;
    this.pending = progress;
    if (this.timer) return;
    const wait = Math.max(0, this.last + this.intervalMs - Date.now());
    this.timer = setTimeout(() => this.flush(), wait);
    this.timer.unref?.();
  }

  private flush(): void {
    this.timer = undefined;
    const p = this.pending;
    this.pending = undefined;
    if (!p || this.stopped) return;
    this.last = Date.now();
    this.inFlight = this.inFlight.then(() => this.send(p)).catch(() => undefined);
  }

  /** Drops any update not yet sent and waits for the one in flight. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    await this.inFlight;
  }
}
