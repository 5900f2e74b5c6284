import type { Kafka, KafkaConfig } from 'kafkajs';
import { CaFileError, createKafka, type KafkaConnection } from './connection.js';

export interface ClusterInfo {
  clusterId: string;
  controller: number | null;
  brokers: { nodeId: number; host: string; port: number }[];
}

export type ProbeFailure = 'auth-failed' | 'tls-failed' | 'unreachable';

export class ProbeError extends Error {
  constructor(
    readonly kind: ProbeFailure,
    message: string,
  ) {
    super(message);
    this.name = 'ProbeError';
  }
}

interface ErrorLike {
  name?: string;
  type?: string;
  code?: unknown;
  message?: string;
  cause?: unknown;
}

/** The error and its `cause` chain (kafkajs wraps the real error in retry errors). */
function errorChain(err: unknown): ErrorLike[] {
  const chain: ErrorLike[] = [];
  let current: unknown = err;
  while (current !== null && typeof current === 'object' && chain.length < 5) {
    const e = current as ErrorLike;
    chain.push(e);
    current = e.cause;
  }
  return chain;
}

function chainText(err: unknown): string {
  return errorChain(err)
    .map((e) => `${e.name ?? ''} ${e.type ?? ''} ${String(e.code ?? '')} ${e.message ?? ''}`)
    .join(' | ');
}

/** Classifies a kafkajs connection error into what a user can act on. */
export function classifyKafkaError(err: unknown): ProbeFailure {
  if (err instanceof CaFileError) return 'tls-failed';
  const text = chainText(err);
  if (/SASL|Authentication|ILLEGAL_SASL_STATE|UNSUPPORTED_SASL_MECHANISM/i.test(text)) {
    return 'auth-failed';
  }
  if (
    /certificate|SSL|TLS|self[- ]signed|EPROTO|wrong version number|CERT_|UNABLE_TO_VERIFY|UNABLE_TO_GET_ISSUER|ERR_TLS/i.test(
      text,
    )
  ) {
    return 'tls-failed';
  }
  return 'unreachable';
}

/**
 * A ProbeError whose message says what happened at `connection` and what to do about it.
 * Shared by the probe and the admin functions so both explain failures alike.
 */
export function describeConnectionFailure(connection: KafkaConnection, err: unknown): ProbeError {
  if (err instanceof ProbeError) return err;
  if (err instanceof CaFileError) return new ProbeError('tls-failed', err.message);
  const at = connection.brokers.join(',');
  const kind = classifyKafkaError(err);
  const text = chainText(err);
  const reason = (err as Error | undefined)?.message ?? String(err);
  if (kind === 'auth-failed') {
    if (/ILLEGAL_SASL_STATE|not valid given the current SASL state/i.test(text)) {
      return new ProbeError(
        'auth-failed',
        `the listener at ${at} does not use SASL, but SASL credentials were given: use the cluster's SASL listener (host:port), or remove the SASL settings`,
      );
    }
    const mechanism = connection.sasl?.mechanism.toUpperCase() ?? 'no SASL';
    const user = connection.sasl ? ` as user "${connection.sasl.username}"` : '';
    return new ProbeError(
      'auth-failed',
      `authentication failed at ${at} (${mechanism}${user}): ${reason}. Check the SASL mechanism, username and password`,
    );
  }
  if (kind === 'tls-failed') {
    const hint = /disconnected before secure TLS|wrong version number|EPROTO|ECONNRESET/i.test(text)
      ? 'the listener probably does not use TLS: turn TLS off or use the TLS listener port'
      : connection.tls?.caFile
        ? `check that ${connection.tls.caFile} holds the CA that signed the broker certificate, and that the certificate names the host you connect to`
        : 'the broker certificate is not signed by a system CA: give the CA file (PEM) that signed it';
    return new ProbeError('tls-failed', `TLS handshake with ${at} failed: ${reason}; ${hint}`);
  }
  if (/Closed connection|ConnectionClosed/i.test(text)) {
    const security = connection.tls?.enabled ? 'SASL' : connection.sasl ? 'TLS' : 'TLS or SASL';
    return new ProbeError(
      'unreachable',
      `the broker at ${at} closed the connection at once: the listener probably needs ${security}; check the cluster's listener security settings`,
    );
  }
  return new ProbeError(
    'unreachable',
    `cannot reach Kafka at ${at}: ${reason}. Check the host and port, that a firewall lets the connection through, and whether the listener needs TLS or SASL`,
  );
}

/**
 * Connects once (no retries) and describes the cluster, bounded by timeoutMs.
 * Throws ProbeError saying what went wrong.
 */
export async function probeCluster(
  connection: KafkaConnection,
  timeoutMs = 5000,
): Promise<ClusterInfo> {
  // A probe must not retry for minutes: tight limits, no retries.
  let kafka: Kafka;
  try {
    kafka = createKafka(connection, 'volatility-insight-probe', probeConfig(timeoutMs));
  } catch (err) {
    throw describeConnectionFailure(connection, err);
  }
  const admin = kafka.admin({ retry: { retries: 0 } });
  try {
    return await withDeadline(
      (async () => {
        await admin.connect();
        const cluster = await admin.describeCluster();
        return {
          clusterId: cluster.clusterId,
          controller: cluster.controller,
          brokers: cluster.brokers.map((b) => ({ nodeId: b.nodeId, host: b.host, port: b.port })),
        };
      })(),
      timeoutMs,
      () =>
        new ProbeError(
          'unreachable',
          `no answer from ${connection.brokers.join(',')} within ${timeoutMs} ms: check the host and port, that a firewall lets the connection through, and whether the listener needs TLS or SASL`,
        ),
    );
  } catch (err) {
    throw describeConnectionFailure(connection, err);
  } finally {
    await withDeadline(admin.disconnect(), 2000, () => new Error('disconnect timed out')).catch(
      () => undefined,
    );
  }
}

/** Races `work` against a timer; the timer is always cleared. */
export async function withDeadline<T>(
  work: Promise<T>,
  timeoutMs: number,
  onTimeout: () => Error,
): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(onTimeout()), timeoutMs);
  });
  try {
    return await Promise.race([work, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

function probeConfig(timeoutMs: number): Partial<KafkaConfig> {
  return {
    connectionTimeout: Math.min(timeoutMs, 3000),
    authenticationTimeout: Math.min(timeoutMs, 3000),
    requestTimeout: timeoutMs,
    retry: { retries: 0 },
  };
}
