import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DeadLetterSchema } from '../../../contract/trade.js';
import {
  MAX_DEAD_LETTER_KEY_BYTES,
  chunkBySize,
  cutKey,
  recordBytes,
  toDeadLetterMessage,
  type PendingDeadLetter,
} from '../../../main/enrich/consumer.js';

describe('recordBytes', () => {
  it('counts UTF-8 bytes of key and value, plus 64 for the framing', () => {
    // 'é' is 2 bytes, '€' is 3: counted in characters this would be 66
    assert.equal(recordBytes({ key: 'é', value: '€' }), 69);
    assert.equal(recordBytes({ key: Buffer.alloc(10), value: '' }), 74);
    assert.equal(recordBytes({ key: null, value: 'abc' }), 67);
  });
});

describe('chunkBySize', () => {
  it('keeps each chunk within the byte budget', () => {
    // 100 × '€' = 300 bytes (+64) = 364 each: two fit in 1000 bytes (728), three do not (1092)
    const messages = Array.from({ length: 5 }, (_, i) => ({
      key: null,
      value: '€'.repeat(100),
      i,
    }));
    assert.deepEqual(
      chunkBySize(messages, 1000).map((c) => c.map((m) => m.i)),
      [[0, 1], [2, 3], [4]],
    );
  });
  it('sends a message larger than the budget alone, never an empty chunk', () => {
    const big = { key: 'k', value: 'x'.repeat(2000) };
    const small = { key: 'k', value: 'x' };
    assert.deepEqual(chunkBySize([big, small, big], 1000), [[big], [small], [big]]);
    assert.deepEqual(chunkBySize([], 1000), []);
  });
});

describe('cutKey', () => {
  it('cuts valid UTF-8 at a character boundary', () => {
    const key = Buffer.from('a€'); // 61 e2 82 ac
    assert.deepEqual(cutKey(key, 2), { bytes: Buffer.from('a'), text: 'a', truncated: true });
    assert.deepEqual(cutKey(key, 4), { bytes: key, text: 'a€', truncated: false });
  });
  it('cuts other bytes at the byte and gives no text', () => {
    const key = Buffer.from([0xff, 0xfe, 0x41]);
    assert.deepEqual(cutKey(key, 2), {
      bytes: Buffer.from([0xff, 0xfe]),
      text: null,
      truncated: true,
    });
  });
});

describe('toDeadLetterMessage', () => {
  const letter = (key: Buffer | null, raw: Buffer | null): PendingDeadLetter => ({
    partition: 2,
    offset: 7,
    reason: 'not JSON',
    raw,
    key: key?.toString('utf8') ?? null,
    keyBytes: key,
    receivedAt: Date.UTC(2025, 6, 7),
  });
  const decode = (m: { value: string }) => DeadLetterSchema.parse(JSON.parse(m.value));

  it('a 600 KB key: cut to 1 KiB, said in the reason; the record stays far below 1 MiB', () => {
    const m = toDeadLetterMessage(letter(Buffer.alloc(600 * 1024, 'k'), Buffer.from('x')), 't');
    const d = decode(m);
    assert.equal(d.key, 'k'.repeat(1024));
    assert.equal(d.key_base64, null);
    assert.equal(
      d.reason,
      'not JSON (key truncated to 1024 of 614400 bytes; the whole message is in SQLite)',
    );
    assert.deepEqual(m.key, Buffer.alloc(1024, 'k'));
    assert.ok(recordBytes(m) < 4096, `${recordBytes(m)}`);
  });
  it('a key of invalid UTF-8: its bytes as base64, unchanged when short', () => {
    const key = Buffer.from([0xc3, 0x28, 0xff]);
    const m = toDeadLetterMessage(letter(key, null), 't');
    const d = decode(m);
    assert.equal(d.key, null);
    assert.equal(d.key_base64, 'wyj/');
    assert.equal(d.reason, 'not JSON');
    assert.deepEqual(m.key, key);
  });
  it('the worst case (1 MB value, 600 KB key of JSON-escaped bytes) stays under 512 KiB', () => {
    for (const key of [Buffer.alloc(600 * 1024, 1), Buffer.alloc(600 * 1024, 0xff)]) {
      const m = toDeadLetterMessage(letter(key, Buffer.alloc(1024 * 1024, 'v')), 't');
      assert.ok(recordBytes(m) < 512 * 1024, `${recordBytes(m)}`);
      assert.match(
        decode(m).reason,
        /^not JSON \(value truncated to 262144 of 1048576 bytes; key truncated to 1024 of 614400 bytes; /,
      );
    }
    assert.equal(MAX_DEAD_LETTER_KEY_BYTES, 1024);
  });
  it('a short valid key and no value pass unchanged', () => {
    const m = toDeadLetterMessage(letter(Buffer.from('AAPL'), null), 'src');
    assert.deepEqual(decode(m), {
      source_topic: 'src',
      source_partition: 2,
      source_offset: 7,
      reason: 'not JSON',
      value_base64: null,
      key: 'AAPL',
      key_base64: null,
      received_at: '2025-07-07T00:00:00.000Z',
    });
    assert.deepEqual(m.key, Buffer.from('AAPL'));
    assert.equal(toDeadLetterMessage(letter(null, null), 'src').key, null);
  });
});
