import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  PublisherPool,
  type OutgoingMessage,
  type Publisher,
} from '../../../main/enrich/publisher.js';

function recorder(name: string, log: string[], fail = false): Publisher {
  return {
    connect: async () => void log.push(`${name} connect`),
    send: async (topic: string, messages: OutgoingMessage[]) => {
      log.push(`${name} ${topic} ${messages.map((m) => m.value).join(',')}`);
      if (fail) throw new Error(`${name} refused`);
    },
    disconnect: async () => void log.push(`${name} disconnect`),
  };
}

describe('PublisherPool', () => {
  it('connects and disconnects every member and spreads sends round-robin', async () => {
    const log: string[] = [];
    const pool = new PublisherPool([recorder('a', log), recorder('b', log)]);
    await pool.connect();
    for (const v of ['1', '2', '3']) await pool.send('t', [{ key: null, value: v }]);
    await pool.disconnect();
    assert.deepEqual(log, [
      'a connect',
      'b connect',
      'a t 1',
      'b t 2',
      'a t 3',
      'a disconnect',
      'b disconnect',
    ]);
  });

  it("passes a member's failure to the caller", async () => {
    const pool = new PublisherPool([recorder('a', [], true)]);
    await assert.rejects(pool.send('t', [{ key: null, value: 'x' }]), /a refused/);
  });
});
