import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { JvmBrokerProvider, type JvmBrokerOptions } from '../../main/broker/jvm.js';
import type { KafkaConnection } from '../../main/kafka/connection.js';
import { freePorts } from '../../main/net-util.js';

export interface TestBroker {
  provider: JvmBrokerProvider;
  connection: KafkaConnection;
  brokers: string;
  dataDir: string;
  /** Stops the broker and removes its data. */
  cleanup(): Promise<void>;
}

/** A real single-node KRaft broker on free ports in a temp dir, for one test file. */
export async function startTestBroker(
  options: Partial<JvmBrokerOptions> = {},
): Promise<TestBroker> {
  const dataDir = mkdtempSync(join(tmpdir(), 'vi-test-broker-'));
  const [port, controllerPort] = await freePorts(2);
  const provider = new JvmBrokerProvider({
    port,
    controllerPort,
    dataDir,
    heap: '512m',
    ...options,
  });
  await provider.start({ timeoutMs: 120_000 });
  const connection = provider.connection();
  return {
    provider,
    connection,
    brokers: connection.brokers.join(','),
    dataDir,
    async cleanup() {
      await provider.stop().catch(() => undefined);
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

export function tempDir(prefix = 'vi-test-'): { path: string; cleanup(): void } {
  const path = mkdtempSync(join(tmpdir(), prefix));
  return { path, cleanup: () => rmSync(path, { recursive: true, force: true }) };
}
