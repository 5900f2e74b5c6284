import type { BrokerProgress, BrokerProviderName, BrokerStatus } from '../../contract/broker.js';
import type { KafkaConnection } from '../kafka/connection.js';

export interface ProviderCallOptions {
  onProgress?: (progress: BrokerProgress) => void;
  signal?: AbortSignal;
  /** Upper bound for start/stop; every wait in a provider is bounded. */
  timeoutMs?: number;
}

/**
 * One interface, three providers (docker, jvm, external). Errors thrown are `BrokerError`s whose
 * message says what happened and what to do.
 */
export interface BrokerProvider {
  readonly name: BrokerProviderName;
  /** How clients reach this broker (bootstrap servers, SASL, TLS). */
  connection(): KafkaConnection;
  start(options?: ProviderCallOptions): Promise<BrokerStatus>;
  stop(options?: ProviderCallOptions): Promise<BrokerStatus>;
  status(options?: ProviderCallOptions): Promise<BrokerStatus>;
  /** The last `lines` lines of the broker's log. */
  logs(lines: number): Promise<string>;
  /** Removes the broker's data (docker volume, jvm data dir). The caller has confirmed. */
  resetData?(options?: ProviderCallOptions): Promise<void>;
}

export type BrokerErrorCode =
  | 'docker-not-installed'
  | 'docker-engine-down'
  | 'docker-permission'
  | 'compose-missing'
  | 'port-in-use'
  | 'image-unavailable'
  | 'health-timeout'
  | 'java-missing'
  | 'maven-missing'
  | 'fetch-failed'
  | 'auth-failed'
  | 'unreachable'
  | 'tls-failed'
  | 'not-configured'
  | 'failed';

export class BrokerError extends Error {
  constructor(
    readonly code: BrokerErrorCode,
    message: string,
    /** Extra text for a user, e.g. the log tail on a health timeout. */
    readonly detail?: string,
  ) {
    super(message);
    this.name = 'BrokerError';
  }
}
