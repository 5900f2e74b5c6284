import type { Worker } from 'node:worker_threads';
import type { KafkaConnection } from '../kafka/connection.js';
import { createWorker } from '../worker-launch.js';

/** A record the enrichment publishes: enriched trades, dead letters, fired alerts. */
export interface OutgoingMessage {
  key: string | Buffer | null;
  value: string;
  partition?: number;
}

/** Where the enrichment publishes: each send resolves once all in-sync replicas have it. */
export interface Publisher {
  connect(): Promise<void>;
  send(topic: string, messages: OutgoingMessage[]): Promise<void>;
  disconnect(): Promise<void>;
}

/** The producer's settings, the same on either thread. */
export const PUBLISHER_CONFIG = {
  // The enriched, dead-letter and alert topics are at-least-once by design (each record names
  // its source partition and offset), so no idempotence and its one request in flight: several
  // chunks go out at once, each still acknowledged by all in-sync replicas.
  idempotent: false,
  maxInFlightRequests: 4,
  allowAutoTopicCreation: false,
} as const;

/** What the publish worker is asked (see workers/publish-worker.ts). */
export type PublishCommand =
  | { type: 'connect'; connection: KafkaConnection }
  | { type: 'send'; id: number; topic: string; messages: OutgoingMessage[] }
  | { type: 'disconnect' };

/** What it answers. */
export type PublishReply =
  | { type: 'connected' }
  | { type: 'sent'; id: number }
  | { type: 'failed'; id: number | null; error: { name: string; message: string } };

/**
 * Publishes from a worker thread of its own. Encoding produce requests is the largest single
 * CPU cost of the enrichment (kafkajs's record encoding, CRC and per-partition grouping): on its
 * own thread it runs on the second core while the enrichment computes the next records. A thread
 * that dies fails the sends in flight (their batch is retried, not stored) and the next send
 * starts a new one.
 */
export class OffThreadPublisher implements Publisher {
  private worker: Worker | null = null;
  private ready: Promise<Worker> | null = null;
  private closed = false;
  private nextId = 1;
  private readonly waiting = new Map<number, { resolve(): void; reject(e: Error): void }>();

  constructor(private readonly connection: KafkaConnection) {}

  async connect(): Promise<void> {
    await this.started();
  }

  async send(topic: string, messages: OutgoingMessage[]): Promise<void> {
    if (this.closed) throw new Error('the publisher is closed');
    const worker = await this.started();
    const id = this.nextId++;
    return new Promise<void>((resolve, reject) => {
      this.waiting.set(id, { resolve, reject });
      worker.postMessage({ type: 'send', id, topic, messages } satisfies PublishCommand);
    });
  }

  async disconnect(): Promise<void> {
    this.closed = true;
    const worker = this.worker;
    if (!worker) return;
    const exited = new Promise<void>((resolve) => worker.once('exit', () => resolve()));
    worker.postMessage({ type: 'disconnect' } satisfies PublishCommand);
    // A producer that cannot reach the broker may take long to disconnect: bounded.
    const timer = setTimeout(() => void worker.terminate(), 10_000);
    await exited;
    clearTimeout(timer);
  }

  /** The connected worker, started on first use and after one died. */
  private started(): Promise<Worker> {
    this.ready ??= new Promise<Worker>((resolve, reject) => {
      const worker = createWorker('../workers/publish-worker', import.meta.url);
      this.worker = worker;
      const lost = (err: Error) => {
        if (this.worker !== worker) return;
        this.worker = null;
        this.ready = null;
        reject(err);
        for (const w of this.waiting.values()) w.reject(err);
        this.waiting.clear();
      };
      worker.on('message', (reply: PublishReply) => {
        if (reply.type === 'connected') resolve(worker);
        else if (reply.type === 'sent') this.settle(reply.id, null);
        else if (reply.id === null) {
          lost(errorFrom(reply.error));
          void worker.terminate();
        } else this.settle(reply.id, errorFrom(reply.error));
      });
      worker.on('error', lost);
      worker.on('exit', (code) =>
        lost(new Error(`the publishing thread stopped (exit code ${code})`)),
      );
      worker.postMessage({ type: 'connect', connection: this.connection } satisfies PublishCommand);
    });
    return this.ready;
  }

  private settle(id: number, err: Error | null): void {
    const w = this.waiting.get(id);
    this.waiting.delete(id);
    if (err) w?.reject(err);
    else w?.resolve();
  }
}

function errorFrom(e: { name: string; message: string }): Error {
  return Object.assign(new Error(e.message), { name: e.name });
}

/**
 * Several publishing threads, sends spread round-robin. Chunks of one batch already land in any
 * order (several in flight); a batch is stored only once all its chunks are acknowledged.
 */
export class PublisherPool implements Publisher {
  private next = 0;
  constructor(private readonly members: readonly Publisher[]) {}
  async connect(): Promise<void> {
    await Promise.all(this.members.map((m) => m.connect()));
  }
  send(topic: string, messages: OutgoingMessage[]): Promise<void> {
    const member = this.members[this.next++ % this.members.length]!;
    return member.send(topic, messages);
  }
  async disconnect(): Promise<void> {
    await Promise.all(this.members.map((m) => m.disconnect()));
  }
}
