/**
 * Events per second over a sliding window (default 5 s): steady at low rates, where a rate over
 * each short reporting interval would flicker between 0 and a burst.
 */
export class RateMeter {
  private readonly samples: { at: number; count: number }[] = [];

  constructor(private readonly windowMs = 5000) {}

  /** Records the running total at `now` and returns the rate over the window. */
  update(total: number, now = Date.now()): number {
    this.samples.push({ at: now, count: total });
    while (this.samples.length > 2 && now - this.samples[1]!.at >= this.windowMs) {
      this.samples.shift();
    }
    const first = this.samples[0]!;
    const elapsed = now - first.at;
    return elapsed > 0 ? ((total - first.count) * 1000) / elapsed : 0;
  }
}
