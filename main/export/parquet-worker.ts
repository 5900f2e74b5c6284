// Parquet encoder thread: receives row groups from ParquetRowWriter, sends the bytes back.
import { parentPort } from 'node:worker_threads';
import { ParquetEncoder, type FromEncoder, type ToEncoder } from './parquet.js';

const port = parentPort;
if (!port) throw new Error('parquet-worker must run in a worker thread');

let chunks: Uint8Array[] = [];
const encoder = new ParquetEncoder((bytes) => chunks.push(bytes));

function send(batchDone: boolean, finished: boolean): void {
  const out = chunks;
  chunks = [];
  const msg: FromEncoder = { type: 'bytes', chunks: out, batchDone, finished };
  port!.postMessage(
    msg,
    out.map((c) => c.buffer as ArrayBuffer),
  );
}

port.on('message', (msg: ToEncoder) => {
  try {
    if (msg.type === 'batch') {
      encoder.writeBatch(msg.batch);
      send(true, false);
    } else {
      encoder.finish();
      send(false, true);
    }
  } catch (err) {
    port.postMessage({ type: 'error', message: (err as Error).message } satisfies FromEncoder);
  }
});
