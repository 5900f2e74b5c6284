import { Kafka, logLevel } from 'kafkajs';

export interface ClusterNode {
  nodeId: number;
  host: string;
  port: number;
}

/**
 * One bounded admin round trip (connect + describeCluster) to a local plaintext broker: it answers
 * clients, not just a health script. No retries (the caller polls), so a broker that is not up yet
 * fails fast instead of holding a poll for the client's whole retry budget.
 */
export async function probeLocalBroker(
  brokers: string[],
  timeoutMs: number,
): Promise<ClusterNode[]> {
  const admin = new Kafka({
    clientId: 'volatility-insight-probe',
    brokers,
    logLevel: logLevel.NOTHING,
    connectionTimeout: Math.min(timeoutMs, 2_000),
    requestTimeout: timeoutMs,
    retry: { retries: 0 },
  }).admin({ retry: { retries: 0 } });
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
  });
  try {
    const work = (async () => {
      await admin.connect();
      const cluster = await admin.describeCluster();
      return cluster.brokers.map((b) => ({ nodeId: b.nodeId, host: b.host, port: b.port }));
    })();
    // If the timeout wins, the abandoned attempt must not surface as an unhandled rejection.
    work.catch(() => undefined);
    return await Promise.race([work, timeout]);
  } finally {
    clearTimeout(timer);
    await admin.disconnect().catch(() => undefined);
  }
}
