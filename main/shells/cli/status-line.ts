import type { EnricherStats, ProducerStats } from '../../../contract/pipeline.js';
import type { CliContext } from './command.js';

/** Live progress on the terminal: one rewritten line on a TTY, a line every 5 s otherwise. */
export class StatusLine {
  producer: ProducerStats | null = null;
  enricher: EnricherStats | null = null;
  private timer: NodeJS.Timeout | undefined;
  private lastPlain = 0;

  constructor(private readonly ctx: CliContext) {}

  start(): void {
    this.timer = setInterval(() => this.render(), 1000);
  }

  stop(): void {
    if (this.timer === undefined) return;
    clearInterval(this.timer);
    this.timer = undefined;
    this.render(true);
    if (this.ctx.stdout.isTTY) this.ctx.stdout.write('\n');
  }

  text(): string {
    const parts: string[] = [];
    const p = this.producer;
    if (p) {
      parts.push(
        `produced ${p.produced} (${Math.round(p.rate)}/s)${p.state === 'running' ? '' : ' ' + p.state}`,
      );
    }
    const e = this.enricher;
    if (e) {
      parts.push(
        `enriched ${e.enriched} (${Math.round(e.rate)}/s)`,
        `lag ${e.lag ?? '?'}`,
        `stored ${e.rowsStored}`,
        `bad ${e.deadLetters}`,
        `late ${e.late}`,
      );
      if (e.lostToRetention > 0) parts.push(`lost to retention ${e.lostToRetention}`);
      if (e.state !== 'running' && e.state !== 'idle') parts.push(e.state);
    }
    const err = p?.lastError ?? e?.lastError;
    if (err) parts.push(`! ${err}`);
    return parts.join(' | ');
  }

  private render(force = false): void {
    const line = this.text();
    if (!line) return;
    if (this.ctx.stdout.isTTY) {
      const width = this.ctx.stdout.columns ?? 120;
      this.ctx.stdout.write('\r\x1b[2K' + line.slice(0, width - 1));
    } else if (force || Date.now() - this.lastPlain >= 5000) {
      this.lastPlain = Date.now();
      this.ctx.stdout.write(line + '\n');
    }
  }
}
