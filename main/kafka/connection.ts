import { describeReadError } from '../file-errors.js';
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

/** The TLS CA file is missing, unreadable or not PEM; the message names the path. */
export class CaFileError extends Error {
  constructor(
    readonly path: string,
    message: string,
  ) {
    super(message);
    this.name = 'CaFileError';
  }
}

/** Reads a PEM CA file, throwing CaFileError with what is wrong and which path. */
export function readCaFile(path: string): string {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    const what = describeReadError(err);
    throw new CaFileError(path, `the TLS CA file ${path} ${what}: give the path of a PEM CA file`);
  }
  if (!text.includes('-----BEGIN CERTIFICATE-----')) {
    throw new CaFileError(
      path,
      `the TLS CA file ${path} holds no PEM certificate (no "-----BEGIN CERTIFICATE-----" line): give a PEM CA file`,
    );
  }
  return text;
}

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
      ...(connection.tls.caFile ? { ca: [readCaFile(connection.tls.caFile)] } : {}),
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
