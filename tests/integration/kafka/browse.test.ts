import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { REPUBLISHED_FROM_HEADER, type MessagesPage } from '../../../contract/messages.js';
import { ServiceError } from '../../../contract/rpc.js';
import type { ServiceEvent } from '../../../contract/service.js';
import { createKafka } from '../../../main/kafka/connection.js';
import { VolatilityService, createLocalApi } from '../../../main/service.js';
import { startTestBroker, tempDir, type TestBroker } from '../../support/jvm-broker.js';

/**
 * The topic browser against a real broker: 60 known messages over 3 partitions (message i in
 * partition i % 3 with key k<i> and timestamp T0 + i s), so the merged order is i's order and
 * every page has one right answer.
 */

const N = 60;
const T0 = Date.UTC(2026, 0, 5, 14, 30, 0);
const SYMBOLS = ['AAPL', 'MSFT', 'GOOG', 'TSLA'];
const TOPIC = 'browse_known';

let broker: TestBroker;
let service: VolatilityService;
let api: ReturnType<typeof createLocalApi>;
const dir = tempDir('vi-browse-');

function valueOf(i: number) {
  return { symbol: SYMBOLS[i % 4], price: 100 + i * 5, volume: i * 100, i };
}

const ids = (page: MessagesPage) => page.records.map((r) => Number(r.key?.text.slice(1)));
const range = (a: number, b: number) => Array.from({ length: b - a }, (_, k) => a + k);

before(async () => {
  broker = await startTestBroker();
  const env: NodeJS.ProcessEnv = { ...process.env, VI_HOME: dir.path };
  delete env.KAFKA_BROKERS;
  service = new VolatilityService({ env, brokers: broker.connection.brokers });
  api = createLocalApi(service, { trusted: false });
  await api.call('topics.create', { name: TOPIC, partitions: 3 });
  const producer = createKafka(broker.connection).producer();
  await producer.connect();
  await producer.send({
    topic: TOPIC,
    messages: range(0, N).map((i) => ({
      partition: i % 3,
      key: `k${i}`,
      value: JSON.stringify(valueOf(i)),
      timestamp: String(T0 + i * 1000),
      headers: { n: String(i) },
    })),
  });
  await producer.disconnect();
});

after(async () => {
  await service?.shutdown();
  api?.close();
  await broker?.cleanup();
  dir.cleanup();
});

describe('messages.read', () => {
  it('pages from newest back to the start: every record once, in order', async () => {
    const groupsBefore = await api.call('groups.list', {});
    let page = await api.call('messages.read', { topic: TOPIC, limit: 10 });
    assert.equal(page.direction, 'older');
    assert.deepEqual(ids(page), range(50, 60));
    assert.equal(page.hasNewer, false);
    const seen = [...ids(page)];
    while (page.older) {
      page = await api.call('messages.read', { topic: TOPIC, cursor: page.older, limit: 10 });
      seen.unshift(...ids(page));
    }
    assert.deepEqual(seen, range(0, N));
    const r = page.records[0]!;
    assert.equal(r.timestamp, T0);
    assert.equal(r.timestampType, 'create');
    assert.equal(r.value?.encoding, 'json');
    assert.deepEqual(JSON.parse(r.value!.text), valueOf(0));
    assert.deepEqual(r.headers, [
      { key: 'n', value: { encoding: 'text', text: '0', bytes: 1, truncated: false } },
    ]);
    assert.equal(r.size, 2 + Buffer.byteLength(JSON.stringify(valueOf(0))) + 2);
    // Browsing left no consumer group behind.
    assert.deepEqual(await api.call('groups.list', {}), groupsBefore);
    assert.deepEqual(groupsBefore, []);
  });

  it('pages from oldest forward, and back and forth without skips or repeats', async () => {
    const p1 = await api.call('messages.read', {
      topic: TOPIC,
      from: { kind: 'oldest' },
      limit: 7,
    });
    assert.deepEqual(ids(p1), range(0, 7));
    assert.equal(p1.older, null);
    const p2 = await api.call('messages.read', { topic: TOPIC, cursor: p1.newer, limit: 7 });
    assert.deepEqual(ids(p2), range(7, 14));
    const back = await api.call('messages.read', { topic: TOPIC, cursor: p2.older!, limit: 7 });
    assert.deepEqual(ids(back), range(0, 7));
    const again = await api.call('messages.read', { topic: TOPIC, cursor: back.newer, limit: 7 });
    assert.deepEqual(ids(again), range(7, 14));
    let page = again;
    const seen = [...ids(p1), ...ids(p2)];
    while (page.hasNewer) {
      page = await api.call('messages.read', { topic: TOPIC, cursor: page.newer, limit: 11 });
      seen.push(...ids(page));
    }
    assert.deepEqual(seen, range(0, N));
    const end = await api.call('messages.read', { topic: TOPIC, cursor: page.newer });
    assert.deepEqual(end.records, []);
  });

  it('starts at an offset (all partitions or one) and at a time (offsets-for-times)', async () => {
    // offset 5 in partition p is message 5 * 3 + p
    const all = await api.call('messages.read', {
      topic: TOPIC,
      from: { kind: 'offset', offset: 5 },
      limit: 10,
    });
    assert.deepEqual(ids(all), range(15, 25));
    const one = await api.call('messages.read', {
      topic: TOPIC,
      partitions: [1],
      from: { kind: 'offset', offset: 5 },
      limit: 4,
    });
    assert.deepEqual(ids(one), [16, 19, 22, 25]);
    assert.deepEqual(
      one.records.map((r) => [r.partition, r.offset]),
      [
        [1, 5],
        [1, 6],
        [1, 7],
        [1, 8],
      ],
    );
    const byTime = await api.call('messages.read', {
      topic: TOPIC,
      from: { kind: 'timestamp', ts: T0 + 30_500 },
      limit: 10,
    });
    assert.deepEqual(ids(byTime), range(31, 41));
    const pastEnd = await api.call('messages.read', {
      topic: TOPIC,
      from: { kind: 'timestamp', ts: T0 + 3_600_000 },
    });
    assert.deepEqual(pastEnd.records, []);
    assert.equal(pastEnd.hasNewer, false);
    const newestOfOne = await api.call('messages.read', {
      topic: TOPIC,
      partitions: [2],
      limit: 3,
    });
    assert.deepEqual(ids(newestOfOne), [53, 56, 59]);
  });

  it('filters exactly: JSON fields, key, text, combined', async () => {
    const read = async (filter: object, from: 'oldest' | 'newest' = 'oldest') =>
      ids(
        await api.call('messages.read', {
          topic: TOPIC,
          from: { kind: from },
          limit: 1000,
          filter: filter as never,
        }),
      );
    const all = range(0, N);
    assert.deepEqual(
      await read({ fields: [{ field: 'symbol', op: '=', value: 'AAPL' }] }),
      all.filter((i) => i % 4 === 0),
    );
    assert.deepEqual(
      await read({ fields: [{ field: 'price', op: '>', value: '300' }] }, 'newest'),
      all.filter((i) => 100 + i * 5 > 300),
    );
    assert.deepEqual(
      await read({ fields: [{ field: 'volume', op: '>=', value: '1000' }] }),
      all.filter((i) => i * 100 >= 1000),
    );
    assert.deepEqual(await read({ key: { op: 'equals', value: 'k7' } }), [7]);
    assert.deepEqual(await read({ key: { op: 'contains', value: 'k1' } }), [1, ...range(10, 20)]);
    assert.deepEqual(
      await read({ text: '"symbol":"TSLA"' }),
      all.filter((i) => i % 4 === 3),
    );
    assert.deepEqual(
      await read({
        fields: [
          { field: 'symbol', op: '=', value: 'AAPL' },
          { field: 'price', op: '>', value: '300' },
        ],
      }),
      [44, 48, 52, 56],
    );
  });

  it('stops at the scan budget, says so, and goes on from there', async () => {
    const filter = { fields: [{ field: 'symbol', op: '=' as const, value: 'NONE' }] };
    let page = await api.call('messages.read', {
      topic: TOPIC,
      from: { kind: 'oldest' },
      filter,
      scanBudget: 25,
    });
    const scanned = [page.scanned];
    assert.equal(page.matched, 0);
    assert.equal(page.budgetExhausted, true);
    while (page.budgetExhausted) {
      page = await api.call('messages.read', {
        topic: TOPIC,
        cursor: page.newer,
        filter,
        scanBudget: 25,
      });
      scanned.push(page.scanned);
    }
    assert.deepEqual(scanned, [25, 25, 10]);
    assert.equal(page.hasNewer, false);
    // backwards too: a rare match found after going on
    const rare = { key: { op: 'equals' as const, value: 'k3' } };
    let back = await api.call('messages.read', { topic: TOPIC, filter: rare, scanBudget: 30 });
    assert.deepEqual(back.records, []);
    assert.equal(back.budgetExhausted, true);
    back = await api.call('messages.read', {
      topic: TOPIC,
      cursor: back.older!,
      filter: rare,
      scanBudget: 30,
    });
    assert.deepEqual(ids(back), [3]);
  });

  it('refuses a page over 1,000, an unknown topic or partition, and a foreign cursor', async () => {
    const code = async (p: Promise<unknown>) =>
      p.then(
        () => 'ok',
        (e: unknown) => (e instanceof ServiceError ? e.code : String(e)),
      );
    assert.equal(
      await code(api.call('messages.read', { topic: TOPIC, limit: 1001 })),
      'invalid-argument',
    );
    assert.equal(
      await code(api.call('messages.read', { topic: 'no_such_topic' })),
      'unknown-topic',
    );
    assert.equal(
      await code(api.call('messages.read', { topic: TOPIC, partitions: [7] })),
      'invalid-argument',
    );
    assert.equal(
      await code(api.call('messages.read', { topic: TOPIC, cursor: 'garbage' })),
      'invalid-argument',
    );
  });
});

describe('hostile values, produce and the full value', () => {
  it('decodes binary as hex, caps a large value, and returns it whole on request', async () => {
    const topic = 'browse_hostile';
    await api.call('topics.create', { name: topic, partitions: 1 });
    const big = 'x'.repeat(900_000);
    const produced = [
      await api.call('messages.produce', {
        topic,
        key: null,
        value: Buffer.from([0, 1, 2, 0xff, 0xfe]).toString('base64'),
        valueEncoding: 'base64',
      }),
      await api.call('messages.produce', { topic, key: 'big', value: big }),
      await api.call('messages.produce', {
        topic,
        key: 'bad',
        value: '{"symbol": "AAPL", "price": ',
        headers: [{ key: 'source', value: 'test' }],
        partition: 0,
      }),
      await api.call('messages.produce', { topic, key: 'tomb', value: null }),
    ];
    assert.deepEqual(
      produced.map((p) => p.offset),
      [0, 1, 2, 3],
    );
    const page = await api.call('messages.read', { topic, from: { kind: 'oldest' } });
    const [bin, large, bad, tomb] = page.records;
    assert.deepEqual(bin!.value, {
      encoding: 'binary',
      text: '00 01 02 ff fe',
      bytes: 5,
      truncated: false,
    });
    assert.equal(bin!.key, null);
    assert.equal(large!.value!.encoding, 'text');
    assert.equal(large!.value!.bytes, 900_000);
    assert.equal(large!.value!.truncated, true);
    assert.ok(Buffer.byteLength(large!.value!.text) <= 16 * 1024);
    assert.equal(bad!.value!.encoding, 'text');
    assert.deepEqual(
      bad!.headers.map((h) => [h.key, h.value?.text]),
      [['source', 'test']],
    );
    assert.equal(tomb!.value, null);
    const full = await api.call('messages.value', { topic, partition: 0, offset: 1 });
    assert.equal(full.bytes, 900_000);
    assert.equal(Buffer.from(full.base64!, 'base64').toString(), big);
    await assert.rejects(
      api.call('messages.value', { topic, partition: 0, offset: 99 }),
      /no message/,
    );
  });
});

describe('messages.tail', () => {
  it('delivers coalesced events to its own view only, pauses with a count, stops on close', async () => {
    const topic = 'browse_tail';
    await api.call('topics.create', { name: topic, partitions: 2 });
    const hooks: (() => void)[] = [];
    const connection = { id: 'view-1', onClose: (l: () => void) => void hooks.push(l) };
    const ctx = { trusted: false, signal: new AbortController().signal, connection };
    const mine: Extract<ServiceEvent, { event: 'messages-tail' }>[] = [];
    const other: ServiceEvent[] = [];
    const offMine = service.onEvent((e, id) => {
      if (e.event === 'messages-tail' && id === 'view-1') mine.push(e);
    });
    const otherApi = createLocalApi(service, { trusted: false });
    otherApi.onEvent((e) => other.push(e));
    const started = await service.dispatch(
      'messages.tail.start',
      { topic, filter: { fields: [{ field: 'n', op: '>=', value: '0' }] } },
      ctx,
    );
    assert.ok(started.ok);
    const { tailId } = started.result as { tailId: string };

    const waitFor = async (what: string, test: () => boolean, ms = 15_000) => {
      const until = Date.now() + ms;
      while (!test()) {
        if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
        await new Promise((r) => setTimeout(r, 20));
      }
    };
    const arrived = () => mine.reduce((s, e) => s + e.arrived, 0);
    const producer = createKafka(broker.connection).producer();
    await producer.connect();
    // filtered out (sent first: read before the 500 that follow it)
    await producer.send({ topic, messages: [{ value: 'not json', partition: 0 }] });
    const t0 = Date.now();
    for (let b = 0; b < 10; b++) {
      await producer.send({
        topic,
        messages: range(0, 50).map((i) => ({
          partition: i % 2,
          key: `t${b}-${i}`,
          value: JSON.stringify({ n: b * 50 + i }),
        })),
      });
    }
    await waitFor('500 records', () => arrived() >= 500);
    const elapsed = Date.now() - t0;
    assert.equal(arrived(), 500);
    assert.ok(
      mine.length <= Math.ceil(elapsed / 100) + 2,
      `${mine.length} events in ${elapsed} ms`,
    );
    const shown = mine.flatMap((e) => e.records);
    assert.ok(shown.length <= 500 && shown.length > 0);
    assert.equal(new Set(shown.map((r) => `${r.partition}/${r.offset}`)).size, shown.length);
    assert.equal(
      other.filter((e) => e.event === 'messages-tail').length,
      0,
      'another view saw the tail',
    );

    // someone else cannot stop it
    const foreign = await otherApi
      .call('messages.tail.control', { tailId, action: 'stop' })
      .catch((e: unknown) => e);
    assert.ok(foreign instanceof ServiceError && foreign.code === 'not-found');

    const paused = await service.dispatch(
      'messages.tail.control',
      { tailId, action: 'pause' },
      ctx,
    );
    assert.deepEqual(paused.ok && paused.result, { state: 'paused' });
    const before = arrived();
    await producer.send({
      topic,
      messages: range(0, 5).map((i) => ({ value: JSON.stringify({ n: i }) })),
    });
    await waitFor('the paused count', () =>
      mine.some((e) => e.state === 'paused' && e.pending === 5),
    );
    assert.equal(arrived(), before, 'nothing delivered while paused');
    await service.dispatch('messages.tail.control', { tailId, action: 'resume' }, ctx);
    await waitFor('the 5 after resume', () => arrived() === before + 5);
    await producer.disconnect();

    for (const hook of hooks) hook(); // the view closed
    await waitFor('the stopped event', () => mine.some((e) => e.state === 'stopped'));
    const after = await service.dispatch('messages.tail.control', { tailId, action: 'pause' }, ctx);
    assert.equal(after.ok ? 'ok' : after.error.code, 'not-found');
    offMine();
    otherApi.close();
  });
});

describe('dead letters', () => {
  it('shows the reason and original bytes, republishes as is or edited with a from header', async () => {
    const dlq = 'stock_prices_dlq';
    const source = 'dl_source';
    await api.call('topics.create', { name: dlq, partitions: 1 });
    await api.call('topics.create', { name: source, partitions: 1 });
    const original = '{"symbol":"AAPL","price":-1,"volume":5,"timestamp":"2026-01-05T14:30:00Z"}';
    await api.call('messages.produce', {
      topic: dlq,
      key: 'AAPL',
      value: JSON.stringify({
        source_topic: source,
        source_partition: 0,
        source_offset: 41,
        reason: 'invalid trade: price: price must be >= 0.0001',
        value_base64: Buffer.from(original).toString('base64'),
        key: 'AAPL',
        key_base64: null,
        received_at: '2026-01-05T14:30:01.000Z',
      }),
    });
    const page = await api.call('messages.read', { topic: dlq });
    const dl = page.records[0]!.deadLetter!;
    assert.equal(dl.reason, 'invalid trade: price: price must be >= 0.0001');
    assert.equal(dl.sourceTopic, source);
    assert.equal(dl.sourceOffset, 41);
    assert.deepEqual(JSON.parse(dl.original!.text), JSON.parse(original));

    const edited = original.replace('-1', '187.5');
    const result = await api.call('dead-letters.republish', {
      items: [
        { partition: 0, offset: 0 },
        { partition: 0, offset: 0, value: edited },
      ],
    });
    assert.deepEqual(
      result.republished.map((r) => [r.from, r.topic, r.offset, r.edited]),
      [
        [`${dlq}/0/0`, source, 0, false],
        [`${dlq}/0/0`, source, 1, true],
      ],
    );
    const back = await api.call('messages.read', { topic: source, from: { kind: 'oldest' } });
    assert.deepEqual(
      back.records.map((r) => [
        r.key?.text,
        r.value?.text && JSON.parse(r.value.text).price,
        r.headers[0]?.key,
        r.headers[0]?.value?.text,
      ]),
      [
        ['AAPL', -1, REPUBLISHED_FROM_HEADER, `${dlq}/0/0`],
        ['AAPL', 187.5, REPUBLISHED_FROM_HEADER, `${dlq}/0/0`],
      ],
    );
    await assert.rejects(
      api.call('dead-letters.republish', { topic: source, items: [{ partition: 0, offset: 0 }] }),
      /not a dead letter/,
    );
    assert.deepEqual(await api.call('groups.list', {}), []);
  });
});
