import {
  ClientFrameSchema,
  MAX_FRAME_BYTES,
  type Port,
  type ServerFrame,
} from '../../contract/rpc.js';
import { randomUUID } from 'node:crypto';
import type { ServiceEvent, ServiceReply } from '../../contract/service.js';

/** What a transport needs of the service: one untrusted entry, and its events. */
export interface Dispatcher {
  dispatch(
    command: unknown,
    args: unknown,
    context: {
      trusted: boolean;
      signal: AbortSignal;
      connection?: { id: string; onClose(listener: () => void): void };
    },
  ): Promise<ServiceReply>;
  /** `connectionId` non-null: the event is for that connection only (a live tail's). */
  onEvent(listener: (event: ServiceEvent, connectionId?: string | null) => void): () => void;
}

/**
 * Serves one view over one port: parses every frame, runs calls (each cancellable by its id),
 * forwards events while the view is subscribed, and forgets everything when the port closes.
 * `trusted` ports (the shell's own) may call `access: 'shell'` commands.
 */
export function serveConnection(
  port: Port,
  service: Dispatcher,
  options: { trusted: boolean },
): void {
  const inFlight = new Map<number, AbortController>();
  let unsubscribe: (() => void) | null = null;
  let open = true;
  // This connection as the service knows it: scoped events, and what to stop when it closes.
  const closeHooks = new Set<() => void>();
  const connection = {
    id: randomUUID(),
    onClose: (listener: () => void) => {
      if (open) closeHooks.add(listener);
      else listener();
    },
  };

  const send = (frame: ServerFrame) => {
    if (!open) return;
    try {
      port.send(JSON.stringify(frame));
    } catch {
      // the carrier closed under us; onClose cleans up
    }
  };

  port.onMessage((data) => {
    if (data.length > MAX_FRAME_BYTES) {
      send({
        t: 'error',
        error: { code: 'invalid-command', message: `a frame is at most ${MAX_FRAME_BYTES} bytes` },
      });
      return;
    }
    let json: unknown;
    try {
      json = JSON.parse(data);
    } catch {
      send({ t: 'error', error: { code: 'invalid-command', message: 'a frame must be JSON' } });
      return;
    }
    const parsed = ClientFrameSchema.safeParse(json);
    if (!parsed.success) {
      send({
        t: 'error',
        error: {
          code: 'invalid-command',
          message: 'unknown frame: expected call, cancel or subscribe',
        },
      });
      return;
    }
    const frame = parsed.data;
    switch (frame.t) {
      case 'call': {
        if (inFlight.has(frame.id)) {
          send({
            t: 'reply',
            id: frame.id,
            ok: false,
            error: { code: 'invalid-command', message: `request id ${frame.id} is already in use` },
          });
          return;
        }
        const abort = new AbortController();
        inFlight.set(frame.id, abort);
        void service
          .dispatch(frame.command, frame.args, {
            trusted: options.trusted,
            signal: abort.signal,
            connection,
          })
          .then((reply) => {
            if (!inFlight.delete(frame.id)) return; // cancelled: the view no longer waits
            send(
              reply.ok
                ? { t: 'reply', id: frame.id, ok: true, result: reply.result }
                : { t: 'reply', id: frame.id, ok: false, error: reply.error },
            );
          });
        return;
      }
      case 'cancel':
        inFlight.get(frame.id)?.abort();
        inFlight.delete(frame.id);
        return;
      case 'subscribe':
        if (frame.on && unsubscribe === null) {
          unsubscribe = service.onEvent((event, connectionId) => {
            if (connectionId === null || connectionId === connection.id)
              send({ t: 'event', event });
          });
        } else if (!frame.on && unsubscribe !== null) {
          unsubscribe();
          unsubscribe = null;
        }
        return;
    }
  });

  port.onClose(() => {
    open = false;
    unsubscribe?.();
    unsubscribe = null;
    for (const abort of inFlight.values()) abort.abort();
    inFlight.clear();
    for (const hook of closeHooks) hook();
    closeHooks.clear();
  });
}
