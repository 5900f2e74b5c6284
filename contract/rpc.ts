import { z } from 'zod';
import { ErrorCodeSchema, ServiceErrorSchema, type ErrorCode } from './errors.js';
import {
  COMMANDS,
  JOB_RESULT_SCHEMAS,
  ServiceEventSchema,
  type CommandInput,
  type CommandName,
  type CommandResult,
  type JobKind,
  type JobResult,
  type ServiceEvent,
} from './service.js';

/**
 * The transport: calls with request ids, cancellation and event subscription over any carrier
 * that moves strings both ways (a WebSocket, an Electron MessagePort, a worker's port). The
 * same frames and the same client serve every shell; the renderer does not know which it has.
 */

/** Frames from a view to the service. */
export const ClientFrameSchema = z.discriminatedUnion('t', [
  z.object({
    t: z.literal('call'),
    id: z.number().int().nonnegative(),
    command: z.string().max(100),
    args: z.unknown(),
  }),
  z.object({ t: z.literal('cancel'), id: z.number().int().nonnegative() }),
  z.object({ t: z.literal('subscribe'), on: z.boolean() }),
]);
export type ClientFrame = z.infer<typeof ClientFrameSchema>;

/** Frames from the service to a view. */
const ReplyFrameSchema = z.discriminatedUnion('ok', [
  z.object({
    t: z.literal('reply'),
    id: z.number().int().nonnegative(),
    ok: z.literal(true),
    result: z.unknown(),
  }),
  z.object({
    t: z.literal('reply'),
    id: z.number().int().nonnegative(),
    ok: z.literal(false),
    error: ServiceErrorSchema,
  }),
]);

export const ServerFrameSchema = z.union([
  ReplyFrameSchema,
  z.object({ t: z.literal('event'), event: ServiceEventSchema }),
  /** The service cannot read a frame (not JSON, unknown shape): a reply without an id. */
  z.object({ t: z.literal('error'), error: ServiceErrorSchema }),
]);
export type ServerFrame = z.infer<typeof ServerFrameSchema>;

/** The largest frame either side accepts, in bytes (UTF-16 length is an upper bound per char). */
export const MAX_FRAME_BYTES = 1024 * 1024;

/** A carrier of string frames: a WebSocket, a MessagePort, anything with these four. */
export interface Port {
  send(data: string): void;
  onMessage(listener: (data: string) => void): void;
  onClose(listener: (reason: string) => void): void;
  close(): void;
}

/** An error from the service, with its code; `detail` may hold a log tail or similar. */
export class ServiceError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly detail?: string,
  ) {
    super(message);
    this.name = 'ServiceError';
  }
}

export interface CallOptions {
  signal?: AbortSignal;
}

/** What every view talks to, whatever carries its calls. */
export interface Api {
  call<N extends CommandName>(
    command: N,
    args: CommandInput<N>,
    options?: CallOptions,
  ): Promise<CommandResult<N>>;
  /** Receives every service event from now on; returns the unsubscribe. */
  onEvent(listener: (event: ServiceEvent) => void): () => void;
  /** Called once when the carrier closes (the service went away, or close()). */
  onClose(listener: (reason: string) => void): void;
  close(): void;
}

interface Pending {
  command: CommandName;
  resolve(value: unknown): void;
  reject(err: unknown): void;
}

/** An Api over a port. Results are parsed with the command's result schema. */
export function createClient(port: Port): Api {
  let nextId = 1;
  let closed: string | null = null;
  const pending = new Map<number, Pending>();
  const listeners = new Set<(event: ServiceEvent) => void>();
  const closeListeners = new Set<(reason: string) => void>();
  let subscribed = false;

  const send = (frame: ClientFrame) => port.send(JSON.stringify(frame));

  port.onMessage((data) => {
    let frame: ServerFrame;
    try {
      frame = ServerFrameSchema.parse(JSON.parse(data));
    } catch {
      return; // a frame this client cannot read is dropped, never half-trusted
    }
    if (frame.t === 'event') {
      for (const l of listeners) l(frame.event);
      return;
    }
    if (frame.t === 'error') return;
    const call = pending.get(frame.id);
    if (!call) return;
    pending.delete(frame.id);
    if (!frame.ok) {
      call.reject(new ServiceError(frame.error.code, frame.error.message, frame.error.detail));
      return;
    }
    const parsed = COMMANDS[call.command].result.safeParse(frame.result);
    if (parsed.success) call.resolve(parsed.data);
    else
      call.reject(
        new ServiceError('internal', `the reply to ${call.command} does not match its schema`),
      );
  });

  port.onClose((reason) => {
    if (closed !== null) return;
    closed = reason || 'closed';
    for (const call of pending.values()) {
      call.reject(
        new ServiceError('cancelled', `the connection to the service closed (${closed})`),
      );
    }
    pending.clear();
    for (const l of closeListeners) l(closed);
  });

  return {
    call(command, args, options) {
      if (closed !== null) {
        return Promise.reject(
          new ServiceError('cancelled', `the connection to the service closed (${closed})`),
        );
      }
      const id = nextId++;
      return new Promise((resolve, reject) => {
        const signal = options?.signal;
        if (signal?.aborted) {
          reject(new ServiceError('cancelled', `${command} was cancelled`));
          return;
        }
        const onAbort = () => {
          if (!pending.delete(id)) return;
          send({ t: 'cancel', id });
          reject(new ServiceError('cancelled', `${command} was cancelled`));
        };
        signal?.addEventListener('abort', onAbort, { once: true });
        pending.set(id, {
          command,
          resolve: (v) => {
            signal?.removeEventListener('abort', onAbort);
            resolve(v as CommandResult<typeof command>);
          },
          reject: (e) => {
            signal?.removeEventListener('abort', onAbort);
            reject(e);
          },
        });
        send({ t: 'call', id, command, args });
      });
    },
    onEvent(listener) {
      listeners.add(listener);
      if (!subscribed && closed === null) {
        subscribed = true;
        send({ t: 'subscribe', on: true });
      }
      return () => {
        listeners.delete(listener);
        if (listeners.size === 0 && subscribed && closed === null) {
          subscribed = false;
          send({ t: 'subscribe', on: false });
        }
      };
    },
    onClose(listener) {
      if (closed !== null) listener(closed);
      else closeListeners.add(listener);
    },
    close() {
      port.close();
    },
  };
}

/**
 * Waits for a job's end: resolves with its result (parsed by kind), rejects with a
 * ServiceError (code 'cancelled' when it was cancelled). Subscribe before starting the job.
 */
export function jobOutcome<K extends JobKind>(
  api: Api,
  kind: K,
  start: () => Promise<{ jobId: string }>,
  onEvent?: (event: ServiceEvent) => void,
): Promise<JobResult<K>> {
  return new Promise((resolve, reject) => {
    let jobId: string | null = null;
    const early: ServiceEvent[] = [];
    const handle = (event: ServiceEvent) => {
      if ('jobId' in event && event.jobId !== jobId) return;
      onEvent?.(event);
      if (event.event !== 'job-finished') return;
      off();
      if (event.ok) {
        const parsed = JOB_RESULT_SCHEMAS[kind].safeParse(event.result);
        if (parsed.success) resolve(parsed.data as JobResult<K>);
        else
          reject(
            new ServiceError('internal', `the ${kind} job's result does not match its schema`),
          );
      } else {
        const error = event.error ?? { code: 'internal' as const, message: `${kind} failed` };
        const code = event.cancelled ? 'cancelled' : ErrorCodeSchema.parse(error.code);
        reject(new ServiceError(code, error.message, error.detail));
      }
    };
    const off = api.onEvent((event) => {
      if (jobId === null) early.push(event);
      else handle(event);
    });
    start().then(
      (ref) => {
        jobId = ref.jobId;
        for (const e of early.splice(0)) handle(e);
      },
      (err: unknown) => {
        off();
        reject(err);
      },
    );
  });
}
