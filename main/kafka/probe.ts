import type { KafkaConfig } from 'kafkajs';
import { createKafka, type KafkaConnection } from './connection.js';

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

/** Classifies a kafkajs connection error into what a user can act on. */
export function classifyKafkaError(err: unknown): ProbeFailure {
  const e = err as { name?: string; type?: string; message?: string; cause?: unknown };
  const text = `${e?.name ?? ''} ${e?.type ?? ''} ${e?.message ?? ''}`;
  if (/SASL|Authentication|ILLEGAL_SASL_STATE|UNSUPPORTED_SASL_MECHANISM/i.test(text)) {
    return 'auth-failed';
  }
  if (/certificate|SSL|TLS|self[- ]signed|EPROTO|wrong version number/i.test(text)) {
    return 'tls-failed';
  }
  return 'unreachable';
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
  const kafka = createKafka(connection, 'volatility-insight-probe', probeConfig(timeoutMs));
  const admin = kafka.admin({ retry: { retries: 0 } });
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () =>
        reject(
          new ProbeError(
            'unreachable',
            `no answer from ${connection.brokers.join(',')} within ${timeoutMs} ms`,
          ),
        ),
      timeoutMs,
    );
  });
  try {
    const info = await Promise.race([
      (async () => {
        await admin.connect();
        const cluster = await admin.describeCluster();
        return {
          clusterId: cluster.clusterId,
          controller: cluster.controller,
          brokers: cluster.brokers.map((b) => ({ nodeId: b.nodeId, host: b.host, port: b.port })),
        };
      })(),
      timeout,
    ]);
    return info;
  } catch (err) {
    if (err instanceof ProbeError) throw err;
    const kind = classifyKafkaError(err);
    const reason = (err as Error).message;
    const what =
      kind === 'auth-failed'
        ? `authentication failed at ${connection.brokers.join(',')}: ${reason}. Check the SASL mechanism, username and password`
        : kind === 'tls-failed'
          ? `TLS handshake with ${connection.brokers.join(',')} failed: ${reason}. Check the CA file, or whether the listener uses TLS at all`
          : `cannot reach Kafka at ${connection.brokers.join(',')}: ${reason}`;
    throw new ProbeError(kind, what);
  } finally {
    clearTimeout(timer);
    await admin.disconnect().catch(() => undefined);
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
