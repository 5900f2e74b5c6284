import type { z } from 'zod';
import type { BrokerStatus, ExternalBrokerSettingsSchema } from '../../contract/broker.js';
import type { KafkaConnection } from '../kafka/connection.js';
import { ProbeError, probeCluster } from '../kafka/probe.js';
import { BrokerError, type BrokerProvider, type ProviderCallOptions } from './provider.js';

export type ExternalBrokerSettings = z.infer<typeof ExternalBrokerSettingsSchema>;

const DEFAULT_PROBE_TIMEOUT_MS = 10_000;

/**
 * An existing Kafka cluster (bootstrap servers, optional SASL and TLS). The app neither starts
 * nor stops it: `start` and `status` only check that it answers.
 */
export class ExternalBrokerProvider implements BrokerProvider {
  readonly name = 'external' as const;

  constructor(private readonly settings: ExternalBrokerSettings) {}

  connection(): KafkaConnection {
    return {
      brokers: [...this.settings.brokers],
      ...(this.settings.sasl ? { sasl: this.settings.sasl } : {}),
      ...(this.settings.tls ? { tls: this.settings.tls } : {}),
    };
  }

  /** Checks connectivity; throws BrokerError 'auth-failed' | 'tls-failed' | 'unreachable'. */
  async start(options: ProviderCallOptions = {}): Promise<BrokerStatus> {
    const started = Date.now();
    options.onProgress?.({
      provider: 'external',
      step: `connecting to ${this.describeTarget()}`,
      elapsedMs: 0,
    });
    const status = await this.check(options);
    options.onProgress?.({
      provider: 'external',
      step: 'cluster answered',
      elapsedMs: Date.now() - started,
    });
    return status;
  }

  /** Like start: a cluster that does not answer is an error saying why. */
  async status(options: ProviderCallOptions = {}): Promise<BrokerStatus> {
    return this.check(options);
  }

  async stop(): Promise<BrokerStatus> {
    return {
      provider: 'external',
      state: 'unknown',
      brokers: [...this.settings.brokers],
      detail:
        'external clusters are not stopped by the app; it only disconnects. Stop the cluster where it runs',
    };
  }

  async logs(): Promise<string> {
    return `logs are not available for external clusters (${this.settings.brokers.join(',')}): read them where the cluster runs\n`;
  }

  private describeTarget(): string {
    const security = [
      this.settings.tls?.enabled ? 'TLS' : null,
      this.settings.sasl ? `SASL ${this.settings.sasl.mechanism.toUpperCase()}` : null,
    ].filter((s): s is string => s !== null);
    return `${this.settings.brokers.join(',')}${security.length ? ` (${security.join(', ')})` : ''}`;
  }

  private async check(options: ProviderCallOptions): Promise<BrokerStatus> {
    options.signal?.throwIfAborted();
    const timeoutMs = Math.min(
      options.timeoutMs ?? DEFAULT_PROBE_TIMEOUT_MS,
      DEFAULT_PROBE_TIMEOUT_MS,
    );
    try {
      const info = await probeCluster(this.connection(), timeoutMs);
      return {
        provider: 'external',
        state: 'running',
        brokers: [...this.settings.brokers],
        detail: `external cluster ${info.clusterId}: ${info.brokers.length} broker(s), controller ${info.controller ?? 'unknown'}`,
        clusterBrokers: info.brokers,
      };
    } catch (err) {
      if (err instanceof ProbeError) throw new BrokerError(err.kind, err.message);
      throw new BrokerError(
        'failed',
        `checking the external cluster ${this.describeTarget()} failed: ${(err as Error).message}`,
      );
    }
  }
}
