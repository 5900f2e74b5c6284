// The service host's logic over a fake carrier and a fake service: the same code runs over a
// worker thread's parentPort and Electron's process.parentPort (only the adapters differ).
import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { MessageChannel } from 'node:worker_threads';
import { describe, it } from 'node:test';
import { createClient, type Port } from '../../../contract/rpc.js';
import type { ServiceEvent, ServiceReply } from '../../../contract/service.js';
import {
  electronUtilityCarrier,
  nodeWorkerCarrier,
  runServiceHost,
  wrapElectronPort,
  wrapNodePort,
  type HostReply,
  type HostedService,
  type RawPort,
} from '../../../main/service-host.js';

class FakeService implements HostedService {
  readonly calls: { command: unknown; trusted: boolean }[] = [];
  readonly listeners = new Set<(e: ServiceEvent) => void>();
  shutdowns: (number | undefined)[] = [];
  constructor(readonly options: unknown) {}
  async dispatch(
    command: unknown,
    _args: unknown,
    ctx: { trusted: boolean },
  ): Promise<ServiceReply> {
    this.calls.push({ command, trusted: ctx.trusted });
    if (command === 'jobs.list') return { ok: true, result: [] };
    return { ok: false, error: { code: 'forbidden', message: 'no' } };
  }
  onEvent(listener: (e: ServiceEvent) => void) {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
  async shutdown(timeoutMs?: number) {
    this.shutdowns.push(timeoutMs);
  }
}

/** A fake Node parentPort: an emitter with postMessage collecting replies. */
function fakeParent() {
  const emitter = new EventEmitter();
  const replies: HostReply[] = [];
  const parent = Object.assign(emitter, {
    postMessage: (v: unknown) => replies.push(v as HostReply),
    close: () => undefined,
  }) as unknown as RawPort;
  return { parent, emitter, replies };
}

function waitFor(check: () => boolean): Promise<void> {
  return new Promise((resolve) => {
    const tick = () => (check() ? resolve() : setImmediate(tick));
    tick();
  });
}

describe('runServiceHost over the worker carrier', () => {
  it('serves ports connected before and after init, trusted only when asked, and shuts down', async () => {
    const { parent, emitter, replies } = fakeParent();
    let service: FakeService | null = null;
    const exits: number[] = [];
    const carrier = nodeWorkerCarrier(parent);
    runServiceHost({ ...carrier, exit: (code) => exits.push(code) }, (options) => {
      service = new FakeService(options);
      return service;
    });

    const early = new MessageChannel();
    emitter.emit('message', { type: 'connect', trusted: true, port: early.port2 });
    emitter.emit('message', { type: 'init', options: { db: 'x.db' } });
    assert.deepEqual(replies, [{ type: 'ready' }]);
    assert.deepEqual(service!.options, { db: 'x.db' });
    const late = new MessageChannel();
    emitter.emit('message', { type: 'connect', trusted: false, port: late.port2 });

    const earlyApi = createClient(wrapNodePort(early.port1 as unknown as RawPort));
    const lateApi = createClient(wrapNodePort(late.port1 as unknown as RawPort));
    assert.deepEqual(await earlyApi.call('jobs.list', {}), []);
    await assert.rejects(lateApi.call('state.get', {}), { code: 'forbidden' });
    assert.deepEqual(
      service!.calls.map((c) => c.trusted),
      [true, false],
    );

    const closed = new Promise<string>((resolve) => lateApi.onClose(resolve));
    emitter.emit('message', { type: 'shutdown', timeoutMs: 1234 });
    await waitFor(() => exits.length > 0);
    assert.deepEqual(service!.shutdowns, [1234]);
    assert.deepEqual(exits, [0]);
    assert.deepEqual(replies.at(-1), { type: 'stopped' });
    earlyApi.close();
    lateApi.close();
    await closed;
  });

  it('a service that cannot be built is reported as fatal and the host exits', () => {
    const { parent, emitter, replies } = fakeParent();
    const exits: number[] = [];
    runServiceHost({ ...nodeWorkerCarrier(parent), exit: (c) => exits.push(c) }, () => {
      throw new Error('bad options');
    });
    emitter.emit('message', { type: 'init', options: {} });
    assert.deepEqual(replies, [{ type: 'fatal', message: 'bad options' }]);
    assert.deepEqual(exits, [1]);
  });
});

describe('the Electron carrier', () => {
  /** A fake MessagePortMain: delivers { data } events and must be started. */
  class FakePortMain extends EventEmitter {
    started = false;
    sent: unknown[] = [];
    postMessage(v: unknown) {
      this.sent.push(v);
    }
    start() {
      this.started = true;
    }
    close() {
      this.emit('close');
    }
  }

  it('unwraps { data, ports }, starts the port, and relays strings only', async () => {
    const parentEmitter = new EventEmitter();
    const replies: unknown[] = [];
    const parentPort = Object.assign(parentEmitter, {
      postMessage: (m: unknown) => replies.push(m),
    });
    let service: FakeService | null = null;
    runServiceHost(
      { ...electronUtilityCarrier(parentPort), exit: () => undefined },
      (o) => (service = new FakeService(o)),
    );
    parentEmitter.emit('message', { data: { type: 'init', options: {} }, ports: [] });
    const port = new FakePortMain();
    parentEmitter.emit('message', {
      data: { type: 'connect', trusted: false },
      ports: [port as unknown as RawPort],
    });
    assert.deepEqual(replies, [{ type: 'ready' }]);
    assert.ok(port.started);
    port.emit('message', { data: 42 }); // not a string: dropped
    port.emit('message', {
      data: JSON.stringify({ t: 'call', id: 7, command: 'jobs.list', args: {} }),
    });
    await waitFor(() => port.sent.length > 0);
    assert.deepEqual(JSON.parse(String(port.sent[0])), { t: 'reply', id: 7, ok: true, result: [] });
    assert.equal(service!.calls.length, 1);
  });

  it('a wrapped port reports its close once, to late listeners too', () => {
    const raw = new FakePortMain();
    const port: Port = wrapElectronPort(raw as unknown as RawPort);
    const reasons: string[] = [];
    port.onClose((r) => reasons.push(r));
    raw.emit('close');
    port.close();
    port.onClose((r) => reasons.push(`late ${r}`));
    assert.equal(reasons.length, 2);
    assert.ok(reasons[1]!.startsWith('late'));
  });
});
