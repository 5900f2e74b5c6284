import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import { describe, it } from 'node:test';
import { produceCaseDigests } from '../../support/kafkajs-produce-cases.js';

// patches/kafkajs+2.2.4.patch (applied by npm install's postinstall) makes kafkajs's produce
// encoding cheaper: linear grouping by partition, records encoded in one exact-size buffer,
// varints written in place, slicing-by-8 CRC-32C. It must not change a byte on the wire.

const load = createRequire(import.meta.url);
const kafkajsDir = dirname(load.resolve('kafkajs/package.json'));
const internal = createRequire(`${kafkajsDir}/package.json`);

/** Digests of the same requests encoded by kafkajs 2.2.4 as published (unpatched). */
const UNPATCHED = {
  trades: '198849:b880cd326d5068d1eba4198d29be4fb94044ba0a40b850256ca5775c144cf930',
  enriched: '319313:20a1907f58917e94155f68354ef62b3a4b28f4f87adaa28483023a3359eca667',
  odd: '97453:b7940936143af1301227935b49ef6588fdb7009f08c3cfd39bf63c9280c1a03e',
  'odd-gzip': '4612:c852041bb33864d2e507bc4c247a57e38c4348b635cc2616c7e7c9339a30568e',
};

/** CRC-32C bit by bit from the polynomial (reflected 0x82F63B78): independent of kafkajs. */
function referenceCrc32c(bytes: Uint8Array): number {
  let crc = 0xffffffff;
  for (const byte of bytes) {
    crc ^= byte;
    for (let k = 0; k < 8; k++) crc = crc & 1 ? (crc >>> 1) ^ 0x82f63b78 : crc >>> 1;
  }
  return (crc ^ 0xffffffff) >>> 0;
}

/** Zig-zag LEB128 of a 32-bit integer, written out by hand. */
function referenceVarInt(value: number): number[] {
  let zigzag = ((value << 1) ^ (value >> 31)) >>> 0;
  const bytes: number[] = [];
  while (zigzag >= 0x80) {
    bytes.push((zigzag & 0x7f) | 0x80);
    zigzag >>>= 7;
  }
  bytes.push(zigzag);
  return bytes;
}

describe('kafkajs produce encoding (patched)', () => {
  it('encodes the same bytes as kafkajs 2.2.4 as published', async () => {
    assert.deepEqual(await produceCaseDigests(kafkajsDir), UNPATCHED);
  });

  it('computes CRC-32C as the polynomial defines it', () => {
    const crc32C = internal('./src/protocol/recordBatch/crc32C/index.js') as (b: Buffer) => number;
    assert.equal(crc32C(Buffer.from('123456789')), 0xe3069283); // the standard check value
    for (let length = 0; length < 80; length++) {
      const bytes = randomBytes(length);
      assert.equal(crc32C(bytes), referenceCrc32c(bytes), `length ${length}`);
    }
    const large = randomBytes(1 << 20);
    assert.equal(crc32C(large.subarray(3)), referenceCrc32c(large.subarray(3)));
  });

  it('writes varints as zig-zag LEB128', () => {
    const Encoder = internal('./src/protocol/encoder.js') as new () => {
      writeVarInt: (v: number) => { buffer: Buffer };
    };
    for (const value of [
      0,
      1,
      -1,
      63,
      -64,
      64,
      -65,
      127,
      128,
      8191,
      -8192,
      1 << 20,
      2 ** 31 - 1,
      -(2 ** 31),
    ]) {
      assert.deepEqual(
        [...new Encoder().writeVarInt(value).buffer],
        referenceVarInt(value),
        `${value}`,
      );
    }
  });

  it('groups messages by partition in linear time', () => {
    const group = internal('./src/producer/groupMessagesPerPartition.js') as (
      args: object,
    ) => Record<string, unknown[]>;
    // Unpatched, 60,000 messages over two partitions take seconds (an array copy per message;
    // 22 s here); patched, a few milliseconds.
    const messages = Array.from({ length: 60_000 }, (_, i) => ({
      value: `${i}`,
      partition: i % 2,
    }));
    const started = performance.now();
    const grouped = group({
      topic: 't',
      partitionMetadata: [
        { partitionId: 0, leader: 0 },
        { partitionId: 1, leader: 0 },
      ],
      messages,
      partitioner: ({ message }: { message: { partition: number } }) => message.partition,
    });
    const ms = performance.now() - started;
    assert.equal(grouped['0']?.length, 30_000);
    assert.equal(grouped['1']?.[29_999], messages[59_999]);
    assert.ok(ms < 1000, `grouping 60,000 messages took ${ms.toFixed(0)} ms`);
  });
});
