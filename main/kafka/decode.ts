import { DeadLetterSchema } from '../../contract/trade.js';
import type { Decoded, DeadLetterView, MessageRecord } from '../../contract/messages.js';
import type { RawRecord } from './partition-reader.js';

/**
 * A Kafka record as a view shows it: key, headers and value decoded (JSON pretty, UTF-8 text,
 * or hex for binary), each cut at a byte cap so a 1 MB message never reaches a view whole.
 * Never throws: hostile bytes are ordinary input.
 */

const utf8 = new TextDecoder('utf-8', { fatal: true });
const LOG_APPEND_TIME = 1;
const KEY_CAP = 1024;
const HEADER_CAP = 1024;

/** The text of bytes when they are valid UTF-8 without control characters other than whitespace. */
export function utf8Text(bytes: Buffer): string | null {
  let text: string;
  try {
    text = utf8.decode(bytes);
  } catch {
    return null;
  }
  // eslint-disable-next-line no-control-regex
  return /[\u0000-\u0008\u000e-\u001f\u007f]/.test(text) ? null : text;
}

/** The first `cap` bytes of a UTF-8 text, cut at a character boundary. */
function cutUtf8(text: string, cap: number): { text: string; truncated: boolean } {
  if (text.length <= cap / 4 || Buffer.byteLength(text) <= cap) return { text, truncated: false };
  const buf = Buffer.from(text).subarray(0, cap);
  let end = buf.length;
  // Step back over a partial character (continuation bytes 10xxxxxx).
  while (end > 0 && (buf[end - 1]! & 0xc0) === 0x80) end--;
  if (end > 0 && buf[end - 1]! >= 0xc0) end--;
  const cut = buf.subarray(0, end).toString('utf8');
  // A cut inside a surrogate-free boundary is exact; a partial char dropped above.
  return { text: cut, truncated: true };
}

export function hex(bytes: Buffer, cap: number): { text: string; truncated: boolean } {
  const shown = bytes.subarray(0, Math.max(1, Math.floor(cap / 3)));
  return {
    text: shown.toString('hex').replace(/(..)(?!$)/g, '$1 '),
    truncated: shown.length < bytes.length,
  };
}

export interface DecodedWithJson {
  decoded: Decoded;
  /** The parsed JSON when the bytes are JSON (for filters and dead letters). */
  json: unknown;
  text: string | null;
}

export function decodeBytes(bytes: Buffer, cap: number, pretty = true): DecodedWithJson {
  const text = utf8Text(bytes);
  if (text === null) {
    return {
      decoded: { encoding: 'binary', bytes: bytes.length, ...hex(bytes, cap) },
      json: undefined,
      text,
    };
  }
  const first = text.trimStart()[0];
  let json: unknown;
  if (first === '{' || first === '[' || first === '"') {
    try {
      json = JSON.parse(text);
    } catch {
      json = undefined;
    }
  }
  if (json !== undefined) {
    const shown = pretty && bytes.length <= 4 * 1024 * 1024 ? JSON.stringify(json, null, 2) : text;
    return {
      decoded: { encoding: 'json', bytes: bytes.length, ...cutUtf8(shown, cap) },
      json,
      text,
    };
  }
  return {
    decoded: { encoding: 'text', bytes: bytes.length, ...cutUtf8(text, cap) },
    json: undefined,
    text,
  };
}

export interface DecodedRecord {
  record: MessageRecord;
  keyText: string | null;
  valueText: string | null;
  json: unknown;
}

/** Decodes a fetched record (done lazily: only for records that pass the filter). */
export function decodeRecord(
  partition: number,
  raw: RawRecord,
  valueCap: number,
  parsed?: Parsed,
  pretty = true,
): DecodedRecord {
  const p = parsed ?? parseForFilter(raw);
  const value = raw.value ? decodeBytes(raw.value, valueCap, pretty) : null;
  const headers: MessageRecord['headers'] = [];
  let headerBytes = 0;
  for (const [key, v] of Object.entries(raw.headers ?? {})) {
    const values = Array.isArray(v) ? v : [v];
    for (const one of values) {
      headerBytes += Buffer.byteLength(key) + (one?.length ?? 0);
      headers.push({ key, value: one ? decodeBytes(one, HEADER_CAP).decoded : null });
    }
  }
  const record: MessageRecord = {
    partition,
    offset: Number(raw.offset),
    timestamp: Number(raw.timestamp),
    timestampType: raw.batchContext?.timestampType === LOG_APPEND_TIME ? 'log-append' : 'create',
    key: raw.key ? decodeBytes(raw.key, KEY_CAP).decoded : null,
    headers,
    size: (raw.key?.length ?? 0) + (raw.value?.length ?? 0) + headerBytes,
    value: value?.decoded ?? null,
  };
  const deadLetter = value ? deadLetterOf(value.json, valueCap) : null;
  if (deadLetter) record.deadLetter = deadLetter;
  return { record, keyText: p.keyText, valueText: p.valueText, json: value?.json };
}

/** A dead letter of this app (contract/trade.ts DeadLetterSchema), its original bytes decoded. */
export function deadLetterOf(json: unknown, cap: number): DeadLetterView | null {
  if (
    json === null ||
    typeof json !== 'object' ||
    !('reason' in json) ||
    !('value_base64' in json)
  ) {
    return null;
  }
  const parsed = DeadLetterSchema.safeParse(json);
  if (!parsed.success) return null;
  const d = parsed.data;
  const original =
    d.value_base64 === null
      ? null
      : decodeBytes(Buffer.from(d.value_base64, 'base64'), cap).decoded;
  return {
    reason: d.reason,
    sourceTopic: d.source_topic,
    sourcePartition: d.source_partition,
    sourceOffset: d.source_offset,
    receivedAt: d.received_at,
    key: d.key ?? (d.key_base64 !== null ? `base64:${d.key_base64}` : null),
    original,
  };
}

/** What a filter needs of a record, computed once: key and value as text, JSON lazily. */
export interface Parsed {
  keyText: string | null;
  valueText: string | null;
  jsonDone: boolean;
  json: unknown;
}

export function parseForFilter(raw: RawRecord): Parsed {
  return {
    keyText: raw.key ? raw.key.toString('utf8') : null,
    valueText: raw.value ? raw.value.toString('utf8') : null,
    jsonDone: false,
    json: undefined,
  };
}
