import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { StoredDeadLetter } from '../../../contract/dead-letters.js';
import { VolatilityService, createLocalApi } from '../../../main/service.js';
import { SqliteStore } from '../../../main/store/sqlite-store.js';
import { tempDir } from '../../support/jvm-broker.js';

const dir = tempDir('vi-dlq-');
const file = join(dir.path, 'dl.db');
const big = Buffer.from(JSON.stringify({ symbol: 'AAPL', note: 'x'.repeat(300 * 1024) }));
const service = new VolatilityService({ db: file, env: { VI_HOME: dir.path } });
const api = createLocalApi(service, { trusted: false });

before(() => {
  const store = new SqliteStore(file);
  const insert = store.db.prepare(
    `INSERT INTO dead_letters (source_partition, source_offset, reason, raw, message_key, received_at)
     VALUES (?, ?, ?, ?, ?, ?)`,
  );
  for (let i = 1; i <= 250; i++) {
    const raw =
      i === 7 ? big : i === 8 ? null : Buffer.from(i % 2 ? `not json ${i}` : `{"n":${i}}`);
    insert.run(i % 3, 1000 + i, i % 5 === 0 ? `missing price (${i})` : 'not JSON', raw, `K${i}`, i);
  }
  store.close();
});
after(async () => {
  api.close();
  await service.shutdown();
  dir.cleanup();
});

describe('dead-letters.stored', () => {
  it('pages newest first by id with no skips or repeats', async () => {
    const seen: StoredDeadLetter[] = [];
    let before: number | undefined;
    for (;;) {
      const page = await api.call('dead-letters.stored', {
        limit: 100,
        ...(before !== undefined ? { before } : {}),
      });
      assert.equal(page.exists, true);
      seen.push(...page.rows);
      if (page.older === null) break;
      before = page.older;
    }
    assert.deepEqual(
      seen.map((r) => r.id),
      Array.from({ length: 250 }, (_, i) => 250 - i),
    );
    const r = seen.find((x) => x.id === 10)!;
    assert.deepEqual(
      { ...r, value: r.value && { ...r.value } },
      {
        id: 10,
        sourcePartition: 1,
        sourceOffset: 1010,
        reason: 'missing price (10)',
        receivedAt: 10,
        key: 'K10',
        bytes: 8,
        value: { encoding: 'json', text: '{\n  "n": 10\n}', bytes: 8, truncated: false },
      },
    );
    assert.equal(seen.find((x) => x.id === 8)!.value, null);
  });

  it('filters on the reason, case-insensitive, and caps values like the topic browser', async () => {
    const page = await api.call('dead-letters.stored', { reason: 'MISSING PRICE', limit: 20 });
    assert.deepEqual(
      page.rows.map((r) => r.id),
      Array.from({ length: 20 }, (_, i) => 250 - 5 * i),
    );
    const next = await api.call('dead-letters.stored', { reason: 'missing', before: page.older! });
    assert.equal(next.rows.length, 30);
    assert.equal(next.older, null);
    const [seven] = (await api.call('dead-letters.stored', { before: 8, limit: 1 })).rows;
    assert.equal(seven!.bytes, big.length);
    assert.equal(seven!.value!.truncated, true);
    assert.ok(Buffer.byteLength(seven!.value!.text) <= 16 * 1024);
  });

  it('returns the whole value by id', async () => {
    const v = await api.call('dead-letters.stored-value', { id: 7 });
    assert.equal(v.truncated, false);
    assert.ok(Buffer.from(v.base64!, 'base64').equals(big));
    await assert.rejects(
      api.call('dead-letters.stored-value', { id: 9999 }),
      /no stored dead letter/,
    );
  });

  it('a missing database is an empty page', async () => {
    const other = new VolatilityService({
      db: join(dir.path, 'none', 'x.db'),
      env: { VI_HOME: dir.path },
    });
    const otherApi = createLocalApi(other, { trusted: false });
    const page = await otherApi.call('dead-letters.stored', {});
    otherApi.close();
    assert.deepEqual(page, { rows: [], older: null, exists: false });
    await other.shutdown();
  });
});
