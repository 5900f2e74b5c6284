import { randomUUID } from 'node:crypto';
import type { z } from 'zod';
import {
  TAIL_RECORDS_PER_EVENT,
  type MessageRecord,
  type TailEvent,
  type TailStartSchema,
  type TailState,
} from '../../contract/messages.js';
import type { KafkaConnection } from './connection.js';
import { decodeRecord } from './decode.js';
import { compileFilter } from './filter.js';
import { PartitionReader, type Watermark } from './partition-reader.js';

type TailArgs = z.output<typeof TailStartSchema>;

/** At most this many events a second per tail (one per FLUSH_MS). */
const FLUSH_MS = 100;
/** How long one Fetch waits for new data (and so how fast a stop or pause is seen). */
const POLL_MS = 400;
/** While paused: how often the count of what arrived is refreshed. */
const PAUSED_CHECK_MS = 1000;

export interface TailOwner {
  /** The connection (view) that started the tail: its events go only there. */
  connectionId: string | null;
}

interface Tail {
  id: string;
  owner: string | null;
  state: TailState;
  stop(): Promise<void>;
  setPaused(paused: boolean): void;
}

/**
 * Live tails: each reads its partitions from their end without a group (long-polling Fetch),
 * filters in the core, and hands its view at most 10 events a second — the newest records since
 * the last event (at most TAIL_RECORDS_PER_EVENT) and the count of everything that arrived.
 * Paused, it stops reading and reports how many arrived meanwhile; resumed, it goes on from where
 * it paused. A tail belongs to the connection that started it; it stops when that closes.
 */
export class TailManager {
  private readonly tails = new Map<string, Tail>();

  constructor(private readonly emit: (event: TailEvent, connectionId: string | null) => void) {}

  async start(
    connection: KafkaConnection,
    args: TailArgs,
    owner: TailOwner,
  ): Promise<{ tailId: string; partitions: Watermark[] }> {
    const reader = await PartitionReader.open(connection, args.topic);
    let marks: Watermark[];
    try {
      marks = await reader.watermarks(reader.choose(args.partitions));
    } catch (err) {
      await reader.close();
      throw err;
    }
    const id = randomUUID();
    const test = compileFilter(args.filter);
    const positions = new Map(marks.map((w) => [w.partition, w.high]));
    let state: TailState = 'live';
    const now = (): TailState => state;
    let buffer: MessageRecord[] = [];
    let arrived = 0;
    let pending = 0;
    let lastPending = 0;
    let dirty = false;
    let wake: (() => void) | null = null;
    const emit = (error: TailEvent['error'] = null) => {
      buffer.sort(
        (a, b) => a.timestamp - b.timestamp || a.partition - b.partition || a.offset - b.offset,
      );
      this.emit(
        {
          event: 'messages-tail',
          tailId: id,
          state,
          records: buffer,
          arrived,
          pending: state === 'paused' ? pending : 0,
          error,
        },
        owner.connectionId,
      );
      buffer = [];
      arrived = 0;
      lastPending = pending;
      dirty = false;
    };
    const flush = setInterval(() => {
      if (arrived > 0 || dirty || (state === 'paused' && pending !== lastPending)) emit();
    }, FLUSH_MS);
    const sleep = (ms: number) =>
      new Promise<void>((resolve) => {
        const t = setTimeout(() => {
          wake = null;
          resolve();
        }, ms);
        wake = () => {
          clearTimeout(t);
          wake = null;
          resolve();
        };
      });

    const loop = (async () => {
      while (now() !== 'stopped') {
        if (now() === 'paused') {
          const marksNow = await reader.watermarks([...positions.keys()]);
          pending = marksNow.reduce(
            (sum, w) => sum + Math.max(0, w.high - (positions.get(w.partition) ?? w.high)),
            0,
          );
          if (now() === 'paused') await sleep(PAUSED_CHECK_MS);
          continue;
        }
        const fetched = await reader.fetch(positions, {
          maxBytesPerPartition: 1024 * 1024,
          maxWaitTime: POLL_MS,
        });
        if (now() === 'stopped') break;
        // Paused while the Fetch waited: leave what it brought unread (counted as pending).
        if (now() === 'paused') continue;
        for (const [partition, f] of fetched) {
          positions.set(partition, Math.max(positions.get(partition)!, f.next));
          for (const raw of f.records) {
            const verdict = test?.(raw);
            if (verdict && !verdict.ok) continue;
            arrived++;
            buffer.push(
              decodeRecord(partition, raw, args.maxValueBytes, verdict?.parsed, args.pretty).record,
            );
            if (buffer.length > TAIL_RECORDS_PER_EVENT * 2)
              buffer = buffer.slice(-TAIL_RECORDS_PER_EVENT);
          }
        }
        if (buffer.length > TAIL_RECORDS_PER_EVENT) {
          buffer.sort(
            (a, b) => a.timestamp - b.timestamp || a.partition - b.partition || a.offset - b.offset,
          );
          buffer = buffer.slice(-TAIL_RECORDS_PER_EVENT);
        }
      }
    })();

    const finished = loop.then(
      () => null,
      (err: unknown) => ({
        code: 'internal',
        message: `the live tail stopped: ${(err as Error).message}`,
      }),
    );
    let closing: Promise<void> | null = null;
    const tail: Tail = {
      id,
      owner: owner.connectionId,
      get state() {
        return state;
      },
      stop: () => {
        closing ??= (async () => {
          state = 'stopped';
          wake?.();
          await finished;
          clearInterval(flush);
          await reader.close();
          this.tails.delete(id);
          emit();
        })();
        return closing;
      },
      setPaused: (paused) => {
        if (state === 'stopped') return;
        const next: TailState = paused ? 'paused' : 'live';
        if (next === state) return;
        state = next;
        pending = 0;
        dirty = true;
        wake?.();
      },
    };
    void finished.then((error) => {
      if (error && state !== 'stopped') {
        state = 'stopped';
        clearInterval(flush);
        this.tails.delete(id);
        void reader.close();
        emit(error);
      }
    });
    this.tails.set(id, tail);
    return { tailId: id, partitions: marks };
  }

  /** Pause, resume or stop a tail; only its own connection may (others get not-found). */
  async control(
    tailId: string,
    action: 'pause' | 'resume' | 'stop',
    connectionId: string | null,
  ): Promise<TailState | null> {
    const tail = this.tails.get(tailId);
    if (!tail || (tail.owner !== null && tail.owner !== connectionId)) return null;
    if (action === 'stop') {
      await tail.stop();
      return 'stopped';
    }
    tail.setPaused(action === 'pause');
    return tail.state;
  }

  /** Stops the tails a connection started (it closed). */
  async stopOwnedBy(connectionId: string): Promise<void> {
    await Promise.all(
      [...this.tails.values()].filter((t) => t.owner === connectionId).map((t) => t.stop()),
    );
  }

  async stopAll(): Promise<void> {
    await Promise.all([...this.tails.values()].map((t) => t.stop()));
  }

  get size(): number {
    return this.tails.size;
  }
}
