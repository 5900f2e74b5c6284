import { readFileSync } from 'node:fs';
import { Kafka, logLevel, type KafkaConfig, type SASLOptions } from 'kafkajs';
import type { z } from 'zod';
import type { SaslSettingsSchema, TlsSettingsSchema } from '../../contract/broker.js';

export interface KafkaConnection {
  brokers: string[];
  sasl?: z.infer<typeof SaslSettingsSchema>;
  tls?: z.infer<typeof TlsSettingsSchema>;
}

export const DEFAULT_BROKERS = '127.0.0.1:9092';

/** `--brokers`, else KAFKA_BROKERS, else 127.0.0.1:9092. */
export function resolveBrokers(flag: string | undefined, env = process.env): string[] {
  const raw = flag ?? env.KAFKA_BROKERS ?? DEFAULT_BROKERS;
  return raw
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
}

export function createKafka(
  connection: KafkaConnection,
  clientId = 'volatility-insight',
  overrides: Partial<KafkaConfig> = {},
): Kafka {
  const config: KafkaConfig = {
    clientId,
    brokers: connection.brokers,
    logLevel: logLevel.NOTHING,
    connectionTimeout: 3000,
    requestTimeout: 30000,
    retry: { retries: 8, initialRetryTime: 200, maxRetryTime: 5000 },
  };
  if (connection.tls?.enabled) {
    config.ssl = {
      rejectUnauthorized: connection.tls.rejectUnauthorized,
      ...(connection.tls.caFile ? { ca: [readFileSync(connection.tls.caFile, 'utf8')] } : {}),
    };
  }
  if (connection.sasl) {
    config.sasl = {
      mechanism: connection.sasl.mechanism,
      username: connection.sasl.username,
      password: connection.sasl.password,
    } as SASLOptions;
  }
  return new Kafka({ ...config, ...overrides });
}
