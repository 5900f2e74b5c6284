import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { newClusterId } from '../../../main/broker/cluster-id.js';

describe('KRaft cluster id', () => {
  it('is 22 base64url characters and never begins with "-" (read as an option by the storage tool)', () => {
    // With a plain random id, one in 64 begins with '-': among 10,000 some surely would.
    for (let i = 0; i < 10_000; i++) {
      const id = newClusterId();
      assert.match(id, /^[A-Za-z0-9_][A-Za-z0-9_-]{21}$/, id);
      assert.equal(Buffer.from(id, 'base64url').length, 16);
    }
  });

  it('draws again when the bytes would give a leading "-"', () => {
    const draws = [Buffer.alloc(16, 0xf8), Buffer.alloc(16, 0x00)];
    assert.equal(draws[0]!.toString('base64url')[0], '-');
    const id = newClusterId(() => draws.shift()!);
    assert.equal(id, Buffer.alloc(16, 0).toString('base64url'));
    assert.equal(draws.length, 0);
  });
});
