import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseFilterExpression, formatFilter } from '../../../contract/messages.js';
import type { Port } from '../../../contract/rpc.js';
import type { ServiceEvent } from '../../../contract/service.js';
import { decodeBytes } from '../../../main/kafka/decode.js';
import { compileFilter } from '../../../main/kafka/filter.js';
import type { RawRecord } from '../../../main/kafka/partition-reader.js';
import { serveConnection, type Dispatcher } from '../../../main/transport/server.js';

const raw = (key: string | null, value: string | Buffer | null): RawRecord => ({
  offset: '0',
  timestamp: '0',
  key: key === null ? null : Buffer.from(key),
  value: value === null ? null : Buffer.isBuffer(value) ? value : Buffer.from(value),
  headers: {},
});

describe('filter expressions', () => {
  it('parses fields, key, text and quoted values', () => {
    assert.deepEqual(parseFilterExpression('symbol = AAPL and price > 300 && volume >= 1000'), {
      fields: [
        { field: 'symbol', op: '=', value: 'AAPL' },
        { field: 'price', op: '>', value: '300' },
        { field: 'volume', op: '>=', value: '1000' },
      ],
    });
    assert.deepEqual(parseFilterExpression('key = AAPL'), {
      fields: [],
      key: { op: 'equals', value: 'AAPL' },
    });
    assert.deepEqual(parseFilterExpression('key ~ AA and "New York"'), {
      fields: [],
      key: { op: 'contains', value: 'AA' },
      text: 'New York',
    });
    assert.deepEqual(parseFilterExpression('city = "New York"').fields, [
      { field: 'city', op: '=', value: 'New York' },
    ]);
    const f = parseFilterExpression('key = A and value ~ "x y" and p <= 3');
    assert.deepEqual(parseFilterExpression(formatFilter(f)), f);
    assert.throws(() => parseFilterExpression('key > 3'), /= \(equals\) or ~/);
    assert.throws(() => parseFilterExpression('price >'), /no value/);
  });

  it('tests records exactly: numbers as numbers, missing fields, malformed JSON', () => {
    const test = compileFilter(parseFilterExpression('symbol = AAPL and price > 300'))!;
    assert.equal(test(raw('k', '{"symbol":"AAPL","price":301}')).ok, true);
    assert.equal(test(raw('k', '{"symbol":"AAPL","price":300}')).ok, false);
    assert.equal(test(raw('k', '{"symbol":"AAPL","price":"1000"}')).ok, true);
    assert.equal(test(raw('k', '{"symbol":"AAPL"}')).ok, false);
    assert.equal(test(raw('k', '{"symbol":"AAPL","price":')).ok, false);
    assert.equal(test(raw('k', null)).ok, false);
    assert.equal(test(raw('k', Buffer.from([0xff, 0xfe]))).ok, false);
    const nested = compileFilter(parseFilterExpression('a.b != 2'))!;
    assert.equal(nested(raw(null, '{"a":{"b":3}}')).ok, true);
    assert.equal(nested(raw(null, '{"a":{"b":2}}')).ok, false);
    assert.equal(compileFilter(parseFilterExpression('key = k1'))!(raw(null, '{}')).ok, false);
    assert.equal(compileFilter({ fields: [] }), null);
  });
});

describe('decoding values', () => {
  it('JSON pretty, text, binary as hex, cut at a character boundary', () => {
    assert.deepEqual(decodeBytes(Buffer.from('{"a":1}'), 100).decoded, {
      encoding: 'json',
      text: '{\n  "a": 1\n}',
      bytes: 7,
      truncated: false,
    });
    assert.equal(decodeBytes(Buffer.from('{"a":1}'), 100, false).decoded.text, '{"a":1}');
    assert.deepEqual(decodeBytes(Buffer.from([1, 2, 0xff]), 100).decoded, {
      encoding: 'binary',
      text: '01 02 ff',
      bytes: 3,
      truncated: false,
    });
    const euro = '€'.repeat(100); // 3 bytes each
    const cut = decodeBytes(Buffer.from(euro), 100).decoded;
    assert.equal(cut.truncated, true);
    assert.equal(cut.text, '€'.repeat(33));
    assert.equal(cut.bytes, 300);
    // control characters are not text
    assert.equal(decodeBytes(Buffer.from('a\u0000b'), 100).decoded.encoding, 'binary');
    const big = decodeBytes(Buffer.alloc(1024 * 1024, 0x41), 1024).decoded;
    assert.equal(big.text.length, 1024);
  });
});

describe('connection-scoped events', () => {
  it('a tail event goes only to the connection it names; close hooks run', async () => {
    const listeners = new Set<(e: ServiceEvent, id?: string | null) => void>();
    let seenConnection: { id: string; onClose(l: () => void): void } | undefined;
    const service: Dispatcher = {
      dispatch: (_c, _a, ctx) => {
        seenConnection = ctx.connection;
        return Promise.resolve({ ok: true, result: {} });
      },
      onEvent: (l) => {
        listeners.add(l);
        return () => listeners.delete(l);
      },
    };
    const makePort = () => {
      const sent: string[] = [];
      let onMessage: (d: string) => void = () => undefined;
      let onClose: (r: string) => void = () => undefined;
      const port: Port = {
        send: (d) => void sent.push(d),
        onMessage: (l) => void (onMessage = l),
        onClose: (l) => void (onClose = l),
        close: () => onClose('closed'),
      };
      return { port, sent, receive: (d: string) => onMessage(d), close: () => onClose('x') };
    };
    const a = makePort();
    const b = makePort();
    serveConnection(a.port, service, { trusted: false });
    serveConnection(b.port, service, { trusted: false });
    a.receive(JSON.stringify({ t: 'subscribe', on: true }));
    b.receive(JSON.stringify({ t: 'subscribe', on: true }));
    a.receive(JSON.stringify({ t: 'call', id: 1, command: 'state.get', args: {} }));
    await new Promise((r) => setImmediate(r));
    const conn = seenConnection!;
    let closed = 0;
    conn.onClose(() => closed++);
    const tail: ServiceEvent = {
      event: 'messages-tail',
      tailId: 't',
      state: 'live',
      records: [],
      arrived: 1,
      pending: 0,
      error: null,
    };
    for (const l of listeners) l(tail, conn.id);
    for (const l of listeners) l({ event: 'broker-status', status: null as never }, null);
    const events = (sent: string[]) =>
      sent
        .map((s) => JSON.parse(s) as { t: string; event?: { event: string } })
        .filter((f) => f.t === 'event')
        .map((f) => f.event!.event);
    assert.deepEqual(events(a.sent), ['messages-tail', 'broker-status']);
    assert.deepEqual(events(b.sent), ['broker-status']);
    a.close();
    assert.equal(closed, 1);
  });
});
