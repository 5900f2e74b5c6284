import type { BrokerProviderName } from '../../contract/broker.js';
import type { EnricherStats, ProducerStats } from '../../contract/pipeline.js';

/** States in words, and the tone (colour class) that goes with them — never colour alone. */

export const PROVIDER_NAMES: Record<BrokerProviderName, string> = {
  docker: 'Docker',
  jvm: 'Built-in (JVM)',
  external: 'External cluster',
};

export function brokerStateWords(state: string): string {
  switch (state) {
    case 'running':
      return 'running';
    case 'starting':
      return 'starting…';
    case 'stopping':
      return 'stopping…';
    case 'stopped':
      return 'stopped';
    case 'unhealthy':
      return 'not healthy';
    default:
      return 'unknown';
  }
}

export function producerStateWords(state: ProducerStats['state'] | null): string {
  switch (state) {
    case null:
    case 'stopped':
      return 'stopped';
    case 'connecting':
      return 'connecting…';
    case 'running':
      return 'running';
    case 'waiting-for-broker':
      return 'waiting for the broker…';
    case 'stopping':
      return 'stopping…';
    case 'failed':
      return 'failed';
  }
}

export function enricherStateWords(state: EnricherStats['state'] | null): string {
  switch (state) {
    case null:
    case 'stopped':
      return 'stopped';
    case 'connecting':
      return 'connecting…';
    case 'running':
      return 'running';
    case 'recovering':
      return 'recovering…';
    case 'idle':
      return 'idle (caught up)';
    case 'stopping':
      return 'stopping…';
    case 'failed':
      return 'failed';
  }
}

/** tone-ok (running), tone-warn (in between), tone-bad (failed), tone-idle (stopped). */
export function toneClass(state: string | null): string {
  switch (state) {
    case 'running':
    case 'idle':
      return 'tone-ok';
    case 'starting':
    case 'stopping':
    case 'connecting':
    case 'waiting-for-broker':
    case 'recovering':
    case 'unhealthy':
      return 'tone-warn';
    case 'failed':
      return 'tone-bad';
    default:
      return 'tone-idle';
  }
}
