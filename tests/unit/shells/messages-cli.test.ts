import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { MessageRecord } from '../../../contract/messages.js';
import { parseFrom, recordJson, recordLine } from '../../../main/shells/cli/messages.js';
import { UsageError } from '../../../main/shells/cli/command.js';
import { formatTime, parseSeek } from '../../../renderer/views/seek.js';

const record: MessageRecord = {
  partition: 2,
  offset: 41,
  timestamp: Date.UTC(2026, 0, 5, 14, 30, 0, 123),
  timestampType: 'create',
  key: { encoding: 'text', text: 'AAPL', bytes: 4, truncated: false },
  headers: [{ key: 'h', value: { encoding: 'text', text: 'v', bytes: 1, truncated: false } }],
  size: 40,
  value: { encoding: 'text', text: 'line1\nline2', bytes: 11, truncated: false },
};

describe('messages CLI helpers', () => {
  it('--from: newest, oldest, an offset, an ISO time; anything else is a usage error', () => {
    assert.deepEqual(parseFrom(undefined), { kind: 'newest' });
    assert.deepEqual(parseFrom('oldest'), { kind: 'oldest' });
    assert.deepEqual(parseFrom('42'), { kind: 'offset', offset: 42 });
    assert.deepEqual(parseFrom('2026-01-05T14:30:00Z'), {
      kind: 'timestamp',
      ts: Date.UTC(2026, 0, 5, 14, 30),
    });
    assert.throws(() => parseFrom('yesterday'), UsageError);
    assert.throws(() => parseFrom('99999999999999999999'), UsageError);
  });

  it('prints JSON lines and readable lines (newlines escaped)', () => {
    assert.deepEqual(recordJson(record), {
      partition: 2,
      offset: 41,
      timestamp: record.timestamp,
      key: 'AAPL',
      headers: { h: 'v' },
      value: 'line1\nline2',
    });
    assert.equal(recordLine(record), '2026-01-05T14:30:00.123Z  2/41  AAPL  line1\\nline2');
  });
});

describe('Topics screen helpers', () => {
  it('seek box: offsets, date-times in UTC, with a zone, garbage refused', () => {
    assert.deepEqual(parseSeek('', 'utc'), { kind: 'newest' });
    assert.deepEqual(parseSeek('1200', 'utc'), { kind: 'offset', offset: 1200 });
    assert.deepEqual(parseSeek('2026-01-05 14:30', 'utc'), {
      kind: 'timestamp',
      ts: Date.UTC(2026, 0, 5, 14, 30),
    });
    assert.deepEqual(parseSeek('2026-01-05T14:30:00+01:00', 'local'), {
      kind: 'timestamp',
      ts: Date.UTC(2026, 0, 5, 13, 30),
    });
    assert.equal(parseSeek('soon', 'utc'), null);
    assert.equal(formatTime(record.timestamp, 'utc'), '2026-01-05 14:30:00.123 UTC');
    assert.match(
      formatTime(record.timestamp, 'local'),
      /^2026-01-05 \d\d:30:00\.123 [+-]\d\d:\d\d$/,
    );
  });
});
