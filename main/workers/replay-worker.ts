import { basename } from 'node:path';
import { parentPort } from 'node:worker_threads';
import type { ErrorCode } from '../../contract/errors.js';
import { ReplayWorkerCommandSchema, type ReplayWorkerEvent } from '../../contract/replay.js';
import { createKafka } from '../kafka/connection.js';
import { ensureTopic } from '../kafka/topics.js';
import { createTradeProducer, sendTrades } from '../kafka/trade-producer.js';
import { ReplayInputError } from '../replay/columns.js';
import { PauseGate } from '../replay/pacing.js';
import { runReplayLoop } from '../replay/replay.js';
import { openSource } from '../replay/source.js';

// A replay runs in its own worker thread: reading, parsing and sorting a large file never
// stalls the service's event loop (or the CLI's progress line).
if (!parentPort) throw new Error('replay-worker must run in a worker thread');
const port = parentPort;
const stop = new AbortController();
const gate = new PauseGate();
const post = (event: ReplayWorkerEvent) => port.postMessage(event);
let started = false;

function codeOf(err: unknown): ErrorCode {
  if (err instanceof ReplayInputError)
    return stop.signal.aborted ? 'cancelled' : 'invalid-argument';
  const code = (err as NodeJS.ErrnoException).code;
  if (code === 'ENOENT') return 'not-found';
  if (code === 'EACCES' || code === 'EPERM' || code === 'EISDIR') return 'forbidden';
  if (code === 'ENOSPC') return 'disk-full';
  return 'internal';
}

port.on('message', (raw: unknown) => {
  const parsed = ReplayWorkerCommandSchema.safeParse(raw);
  if (!parsed.success) {
    post({
      type: 'error',
      code: 'internal',
      message: `bad replay command: ${parsed.error.message}`,
    });
    return;
  }
  const command = parsed.data;
  if (command.type === 'stop') return stop.abort();
  if (command.type === 'pause') return gate.pause();
  if (command.type === 'resume') return gate.resume();
  if (started) return;
  started = true;
  const work = async () => {
    const { options } = command;
    const source = await openSource(command.file, {
      columns: options.columns,
      timeUnit: options.timeUnit,
    });
    const kafka = createKafka(command.connection, 'volatility-insight-replay');
    await ensureTopic(kafka, options.topic, options.partitions);
    const producer = createTradeProducer(kafka);
    await producer.connect();
    try {
      return await runReplayLoop({
        source,
        options,
        fileName: basename(command.file),
        signal: stop.signal,
        gate,
        ...(command.tempDir ? { tempDir: command.tempDir } : {}),
        send: (trades) => sendTrades(producer, options.topic, trades),
        onProgress: (progress) => post({ type: 'progress', progress }),
      });
    } finally {
      await producer.disconnect().catch(() => undefined);
    }
  };
  work()
    .then((result) => post({ type: 'done', result }))
    .catch((err: unknown) =>
      post({ type: 'error', code: codeOf(err), message: (err as Error).message }),
    )
    .finally(() => port.close());
});
