import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it, type TestContext } from 'node:test';
import { JvmBrokerProvider, parsePidRecord, type PidRecord } from '../../../main/broker/jvm.js';
import { BrokerError } from '../../../main/broker/provider.js';
import { freePorts } from '../../../main/net-util.js';

const dir = mkdtempSync(join(tmpdir(), 'vi-jvm-pid-'));
after(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;

/** A live process that is not a broker: what a reused pid looks like. */
function stranger(t: TestContext): ChildProcess {
  const child = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60_000)'], {
    stdio: 'ignore',
  });
  t.after(() => child.kill());
  return child;
}

/** A provider on free ports (nothing answers there) whose data dir is formatted, with a pid file. */
async function providerWithPidFile(record: PidRecord | string): Promise<JvmBrokerProvider> {
  const [port, controllerPort] = await freePorts(2);
  const dataDir = join(dir, `data-${++n}`);
  mkdirSync(join(dataDir, 'kraft-logs'), { recursive: true });
  writeFileSync(
    join(dataDir, 'kraft-logs', 'meta.properties'),
    'node.id=1\nversion=1\ncluster.id=AbCdEfGhIjKlMnOpQrStUv\n',
  );
  writeFileSync(
    join(dataDir, 'broker.pid'),
    typeof record === 'string' ? record : JSON.stringify(record),
  );
  return new JvmBrokerProvider({ port, controllerPort, dataDir });
}

function alive(child: ChildProcess): boolean {
  return child.exitCode === null && child.signalCode === null;
}

describe('the JVM broker pid file (no /proc, no ps)', () => {
  it('reads our JSON record and a bare pid of older versions', () => {
    assert.deepEqual(parsePidRecord('{"pid":42,"host":"h","startedAt":7}'), {
      pid: 42,
      host: 'h',
      startedAt: 7,
    });
    assert.deepEqual(parsePidRecord('42'), { pid: 42, host: hostname(), startedAt: 0 });
    for (const bad of ['', '0', '-1', 'x', '{"pid":"1"}', '{"pid":1.5,"host":"h","startedAt":0}']) {
      assert.equal(parsePidRecord(bad), null, bad);
    }
  });

  it('the cluster id comes from meta.properties', async () => {
    const provider = await providerWithPidFile('1');
    assert.equal(provider.clusterId(), 'AbCdEfGhIjKlMnOpQrStUv');
  });

  it('an old pid that now names another live process: stopped, never signalled', async (t) => {
    const other = stranger(t);
    const provider = await providerWithPidFile({
      pid: other.pid!,
      host: hostname(),
      startedAt: Date.now() - 3_600_000,
    });
    assert.equal((await provider.identify(500)).kind, 'unproven');
    const status = await provider.status();
    assert.equal(status.state, 'stopped');
    assert.match(status.detail ?? '', new RegExp(`process ${other.pid}\\b.*not this broker`));
    assert.equal((await provider.stop({ timeoutMs: 2000 })).state, 'stopped');
    await provider.kill();
    await new Promise((resolve) => setTimeout(resolve, 200));
    assert.ok(alive(other), 'the unrelated process was not signalled');
    assert.equal(existsSync(join(provider.dataDir, 'broker.pid')), false, 'stale file removed');
  });

  it('a bare pid (older versions) of another process is not signalled either', async (t) => {
    const other = stranger(t);
    const provider = await providerWithPidFile(String(other.pid));
    assert.equal((await provider.stop({ timeoutMs: 2000 })).state, 'stopped');
    await new Promise((resolve) => setTimeout(resolve, 200));
    assert.ok(alive(other));
  });

  it('a pid file written on another host is never acted on here', async (t) => {
    const other = stranger(t);
    const provider = await providerWithPidFile({
      pid: other.pid!,
      host: `${hostname()}-elsewhere`,
      startedAt: Date.now(),
    });
    const owner = await provider.identify(500);
    assert.equal(owner.kind, 'unproven');
    await provider.stop({ timeoutMs: 1000 });
    await new Promise((resolve) => setTimeout(resolve, 200));
    assert.ok(alive(other));
  });

  it('a fresh pid that does not answer yet counts as starting; stop waits, then leaves it alone', async (t) => {
    const other = stranger(t);
    const provider = await providerWithPidFile({
      pid: other.pid!,
      host: hostname(),
      startedAt: Date.now(),
    });
    assert.equal((await provider.status()).state, 'starting');
    await assert.rejects(provider.stop({ timeoutMs: 1000 }), (err: unknown) => {
      assert.ok(err instanceof BrokerError);
      assert.equal(err.code, 'failed');
      assert.match(err.message, /still starting/);
      return true;
    });
    await new Promise((resolve) => setTimeout(resolve, 200));
    assert.ok(alive(other), 'not signalled without proof');
    assert.ok(existsSync(join(provider.dataDir, 'broker.pid')), 'kept for the start in progress');
  });

  it('a pid whose process is gone: stopped, and the file is removed', async () => {
    const gone = spawn(process.execPath, ['-e', '0'], { stdio: 'ignore' });
    await new Promise((resolve) => gone.once('exit', resolve));
    const provider = await providerWithPidFile({
      pid: gone.pid!,
      host: hostname(),
      startedAt: Date.now(),
    });
    assert.equal((await provider.status()).state, 'stopped');
    assert.equal(existsSync(join(provider.dataDir, 'broker.pid')), false);
  });
});
