import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ParquetWriter, fileWriter } from 'hyparquet-writer';
import { APP_ROOT } from '../../../main/paths.js';
import { startTestBroker, tempDir, type TestBroker } from '../../support/jvm-broker.js';

let broker: TestBroker;
const dir = tempDir('vi-replay-big-');
const GROUPS = 44;
const GROUP_ROWS = 131_072;
const T0 = Date.UTC(2025, 6, 7, 14, 0, 0);
const HEAP_MB = 64;

before(async () => {
  broker = await startTestBroker();
});
after(async () => {
  await broker.cleanup();
  dir.cleanup();
});

/** ~112 MB of trades (random prices and sizes do not compress), one rare symbol per row group. */
function writeBigParquet(path: string): void {
  const writer = new ParquetWriter({
    writer: fileWriter(path),
    schema: [
      { name: 'root', num_children: 4 },
      {
        name: 'timestamp',
        type: 'INT64',
        repetition_type: 'REQUIRED',
        converted_type: 'TIMESTAMP_MILLIS',
        logical_type: { type: 'TIMESTAMP', isAdjustedToUTC: true, unit: 'MILLIS' },
      },
      { name: 'symbol', type: 'BYTE_ARRAY', converted_type: 'UTF8', repetition_type: 'REQUIRED' },
      { name: 'price', type: 'DOUBLE', repetition_type: 'REQUIRED' },
      { name: 'volume', type: 'INT64', repetition_type: 'REQUIRED' },
    ],
  });
  for (let g = 0; g < GROUPS; g++) {
    const ts = new BigInt64Array(GROUP_ROWS);
    const sym = new Array<string>(GROUP_ROWS);
    const price = new Float64Array(GROUP_ROWS);
    const vol = new BigInt64Array(GROUP_ROWS);
    for (let i = 0; i < GROUP_ROWS; i++) {
      const n = g * GROUP_ROWS + i;
      ts[i] = BigInt(T0 + n);
      sym[i] = i === 1000 ? 'ZZZ' : 'AAPL';
      price[i] = 100 + Math.random() * 50; // full-entropy doubles: incompressible
      vol[i] = BigInt(Math.floor(Math.random() * 1e12));
    }
    writer.write({
      columnData: [
        { name: 'timestamp', data: ts },
        { name: 'symbol', data: sym },
        { name: 'price', data: price },
        { name: 'volume', data: vol },
      ],
      rowGroupSize: GROUP_ROWS,
    });
  }
  writer.finish();
}

describe('replay of a Parquet file larger than the process may hold', () => {
  it(`replays a ~112 MB file in a CLI child with a ${HEAP_MB} MB heap cap`, async () => {
    const file = join(dir.path, 'big.parquet');
    writeBigParquet(file);
    const bytes = statSync(file).size;
    assert.ok(bytes > 100 * 1024 * 1024, `file is ${bytes} bytes`);

    const child = spawn(
      process.execPath,
      [
        `--max-old-space-size=${HEAP_MB}`,
        join(APP_ROOT, 'bin', 'volatility-insight.mjs'),
        'replay',
        '--file',
        file,
        '--speed',
        'max',
        '--symbols',
        'ZZZ',
        '--topic',
        'big_trades',
        '--brokers',
        broker.connection.brokers.join(','),
      ],
      {
        env: { ...process.env, VI_HOME: join(dir.path, 'home') },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    const code = await new Promise<number | null>((r) => child.on('exit', (c) => r(c)));
    assert.equal(code, 0, `exit ${code}\n${err.slice(-2000)}`);
    // every row group was read (both passes); one trade of each was selected and sent
    assert.match(out, new RegExp(`replayed ${GROUPS} trades from .*big\\.parquet \\(parquet;`));
  });
});
