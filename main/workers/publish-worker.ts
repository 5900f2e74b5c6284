import { parentPort } from 'node:worker_threads';
import type { Producer } from 'kafkajs';
import { createKafka } from '../kafka/connection.js';
import { PUBLISHER_CONFIG, type PublishCommand, type PublishReply } from '../enrich/publisher.js';

// The enrichment's producer on a thread of its own (enrich/publisher.ts says why). Its only
// peer is the enrichment thread of the same process, which posts well-formed commands.
if (!parentPort) throw new Error('publish-worker must run in a worker thread');
const port = parentPort;
const reply = (r: PublishReply) => port.postMessage(r);
const errorOf = (err: unknown) => ({
  name: err instanceof Error ? err.name : 'Error',
  message: err instanceof Error ? err.message : String(err),
});
let producer: Producer | null = null;

port.on('message', (command: PublishCommand) => {
  switch (command.type) {
    case 'connect': {
      const p = createKafka(command.connection, 'volatility-insight-enricher').producer(
        PUBLISHER_CONFIG,
      );
      producer = p;
      p.connect().then(
        () => reply({ type: 'connected' }),
        (err: unknown) => reply({ type: 'failed', id: null, error: errorOf(err) }),
      );
      return;
    }
    case 'send': {
      const { id, topic } = command;
      // Keys arrive as Uint8Array (a Buffer is cloned without its prototype).
      const messages = command.messages.map((m) =>
        m.key !== null && typeof m.key !== 'string' ? { ...m, key: Buffer.from(m.key) } : m,
      );
      if (!producer) {
        reply({ type: 'failed', id, error: { name: 'Error', message: 'not connected' } });
        return;
      }
      producer.send({ topic, acks: -1, messages }).then(
        () => reply({ type: 'sent', id }),
        (err: unknown) => reply({ type: 'failed', id, error: errorOf(err) }),
      );
      return;
    }
    case 'disconnect':
      void (producer?.disconnect() ?? Promise.resolve())
        .catch(() => undefined)
        .finally(() => port.close());
  }
});
