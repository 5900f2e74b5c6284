import { parentPort } from 'node:worker_threads';
import { WorkerCommandSchema, type WorkerEvent } from '../../contract/pipeline.js';
import { runEnricher } from '../enrich/consumer.js';
import { DEFAULT_JUMPS } from '../simulator/price-model.js';
import { runProducer } from '../simulator/producer.js';
import { parseTradeTimestamp } from '../../contract/trade.js';

// One pipeline stage per worker thread, so no shell's event loop carries ingestion.
if (!parentPort) throw new Error('pipeline-worker must run in a worker thread');
const port = parentPort;
const stop = new AbortController();
const drain = new AbortController();
const post = (event: WorkerEvent) => port.postMessage(event);
let started = false;

port.on('message', (raw: unknown) => {
  const parsed = WorkerCommandSchema.safeParse(raw);
  if (!parsed.success) {
    post({ type: 'error', message: `bad worker command: ${parsed.error.message}` });
    return;
  }
  const command = parsed.data;
  if (command.type === 'stop') {
    if (command.drain) drain.abort();
    else stop.abort();
    return;
  }
  if (started) {
    post({ type: 'error', message: 'this worker already runs a stage' });
    return;
  }
  started = true;
  const work =
    command.type === 'produce'
      ? runProducer({
          connection: command.request.connection,
          topic: command.request.topic,
          rate: command.request.rate,
          ...(command.request.count !== undefined ? { count: command.request.count } : {}),
          partitions: command.request.partitions,
          simulator: {
            ...(command.request.symbols ? { symbols: command.request.symbols } : {}),
            ...(command.request.seed !== undefined ? { seed: command.request.seed } : {}),
            ...(command.request.jumps ? { jumps: DEFAULT_JUMPS } : {}),
            ...(command.request.simulatedStart
              ? { simulatedStart: parseTradeTimestamp(command.request.simulatedStart) ?? undefined }
              : {}),
          },
          signal: stop.signal,
          onStats: (stats) => post({ type: 'producer-stats', stats }),
        }).then((result) => post({ type: 'producer-done', result }))
      : runEnricher({
          request: command.request,
          signal: stop.signal,
          drain: drain.signal,
          onStats: (stats) => post({ type: 'enricher-stats', stats }),
          feed: {
            onPoints: (points) => post({ type: 'enricher-points', points }),
            onAlerts: (alerts) => post({ type: 'alert-fired', alerts }),
          },
        }).then((result) => post({ type: 'enricher-done', result }));
  work
    .catch((err: unknown) => post({ type: 'error', message: (err as Error).message }))
    .finally(() => port.close());
});
