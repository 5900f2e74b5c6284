import { sleep } from '../net-util.js';

/** Wall time, injectable: the system's in use, a simulated one in tests. */
export interface Clock {
  /** Milliseconds on a monotonic scale. */
  now(): number;
  /** Waits `ms` of this clock's time; rejects when `signal` aborts. */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

export const systemClock: Clock = {
  now: () => performance.now(),
  sleep: (ms, signal) => sleep(ms, signal),
};

/**
 * A clock that only moves when someone waits on it: each sleep advances it by exactly the time
 * asked for and resolves on the next microtask. Timing logic runs at full speed and its
 * outcome (how much clock time a replay took) is exact, with no real sleeps.
 */
export class SimulatedClock implements Clock {
  constructor(private t = 0) {}
  now(): number {
    return this.t;
  }
  async sleep(ms: number, signal?: AbortSignal): Promise<void> {
    if (signal?.aborted) throw signal.reason;
    this.t += Math.max(0, ms);
    await Promise.resolve();
  }
  /** Time passing without a sleep (e.g. a send that takes a while). */
  advance(ms: number): void {
    this.t += ms;
  }
}

/**
 * When each trade is due: at the recorded pace scaled by `speed`, from the first trade, on
 * `clock`. Due times are absolute (first trade's wall time + recorded offset / speed), so time
 * spent sending never accumulates as drift. A pause moves the anchor by its length.
 */
export class Pacer {
  private anchorWall: number | null = null;
  private anchorTs = 0;
  private pausedAt: number | null = null;

  constructor(
    private readonly clock: Clock,
    readonly speed: number | 'max',
  ) {}

  /** Wall ms until the trade recorded at `ts` is due (0 = now or late); the first sets the anchor. */
  delay(ts: number): number {
    if (this.speed === 'max') return 0;
    const now = this.clock.now();
    if (this.anchorWall === null) {
      this.anchorWall = now;
      this.anchorTs = ts;
      return 0;
    }
    return Math.max(0, this.anchorWall + (ts - this.anchorTs) / this.speed - now);
  }

  /** Wall ms from now until a trade recorded at `ts` would be due; null before the anchor. */
  wallUntil(ts: number): number | null {
    if (this.speed === 'max' || this.anchorWall === null) return null;
    return Math.max(0, this.anchorWall + (ts - this.anchorTs) / this.speed - this.clock.now());
  }

  pause(): void {
    this.pausedAt ??= this.clock.now();
  }

  resume(): void {
    if (this.pausedAt === null) return;
    if (this.anchorWall !== null) this.anchorWall += this.clock.now() - this.pausedAt;
    this.pausedAt = null;
  }
}

/** Pause and resume from outside the replay loop (the service's commands). */
export class PauseGate {
  private waiters: (() => void)[] = [];
  paused = false;

  pause(): void {
    this.paused = true;
  }

  resume(): void {
    this.paused = false;
    const w = this.waiters;
    this.waiters = [];
    for (const f of w) f();
  }

  /** Resolves on resume or abort. */
  wait(signal?: AbortSignal): Promise<void> {
    if (!this.paused || signal?.aborted) return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => {
        signal?.removeEventListener('abort', done);
        resolve();
      };
      this.waiters.push(done);
      signal?.addEventListener('abort', done, { once: true });
    });
  }
}
