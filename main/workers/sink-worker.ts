import { parentPort } from 'node:worker_threads';
import { SinkWorkerCommandSchema, type SinkWorkerEvent } from '../../contract/sink.js';
import { runDeltaSink } from '../sink/delta-sink.js';

// The Delta sink in its own worker thread, like the pipeline stages: no shell's event loop
// carries its Parquet encoding.
if (!parentPort) throw new Error('sink-worker must run in a worker thread');
const port = parentPort;
const stop = new AbortController();
const post = (event: SinkWorkerEvent) => port.postMessage(event);
let started = false;

port.on('message', (raw: unknown) => {
  const parsed = SinkWorkerCommandSchema.safeParse(raw);
  if (!parsed.success) {
    post({ type: 'error', message: `bad sink command: ${parsed.error.message}` });
    return;
  }
  const command = parsed.data;
  if (command.type === 'stop') {
    stop.abort();
    return;
  }
  if (started) return;
  started = true;
  runDeltaSink({
    request: command.request,
    signal: stop.signal,
    onStats: (stats) => post({ type: 'sink-stats', stats }),
  })
    .then((result) => post({ type: 'sink-done', result }))
    .catch((err: unknown) => post({ type: 'error', message: (err as Error).message }))
    .finally(() => port.close());
});
