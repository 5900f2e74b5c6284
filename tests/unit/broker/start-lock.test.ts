import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import {
  existsSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  statSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { StartLock } from '../../../main/broker/start-lock.js';

const dir = mkdtempSync(join(tmpdir(), 'vi-start-lock-'));
after(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;
const lockFile = () => join(dir, `start-${++n}.lock`);

function backdate(file: string, ms: number): void {
  const then = new Date(Date.now() - ms);
  utimesSync(file, then, then);
}

describe('the JVM start lock', () => {
  it('one holder at a time; released, it can be taken again', () => {
    const file = lockFile();
    const a = new StartLock(file);
    const b = new StartLock(file);
    assert.equal(a.tryAcquire(), true);
    assert.equal(b.tryAcquire(), false);
    a.release();
    assert.equal(b.tryAcquire(), true);
    assert.equal(existsSync(file), true);
    b.release();
    assert.equal(existsSync(file), false);
  });

  it('a lock whose pid is alive but reused by another process is stale once not refreshed', async (t) => {
    // Another, unrelated live process now has the pid the lock names.
    const stranger = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60_000)'], {
      stdio: 'ignore',
    });
    t.after(() => stranger.kill());
    await new Promise((resolve) => stranger.once('spawn', resolve));
    for (const text of [
      String(stranger.pid), // the format of earlier versions: a bare pid
      JSON.stringify({ pid: stranger.pid, host: hostname(), token: 'left-by-a-crash' }),
    ]) {
      const file = lockFile();
      writeFileSync(file, text);
      const lock = new StartLock(file, { staleMs: 5_000 });
      assert.equal(lock.tryAcquire(), false, 'a fresh lock of a live pid is respected');
      backdate(file, 60_000); // its holder stopped refreshing it a minute ago
      assert.equal(lock.tryAcquire(), true, `taken over: ${text}`);
      assert.notEqual(readFileSync(file, 'utf8'), text);
      lock.release();
    }
  });

  it('a lock whose pid is gone is stale at once', async () => {
    const gone = spawn(process.execPath, ['-e', '0'], { stdio: 'ignore' });
    await new Promise((resolve) => gone.once('exit', resolve));
    const file = lockFile();
    writeFileSync(file, JSON.stringify({ pid: gone.pid, host: hostname(), token: 'x' }));
    const lock = new StartLock(file);
    assert.equal(lock.tryAcquire(), true);
    lock.release();
  });

  it('the holder keeps its lock fresh, so it is never taken from a live holder', async () => {
    const file = lockFile();
    const holder = new StartLock(file, { heartbeatMs: 20, staleMs: 200 });
    assert.equal(holder.tryAcquire(), true);
    backdate(file, 10_000);
    const other = new StartLock(file, { staleMs: 200 });
    const deadline = Date.now() + 5_000;
    // Wait (on the condition, not a fixed time) until the heartbeat refreshed the lock.
    while (Date.now() - statSync(file).mtimeMs > 200) {
      assert.ok(Date.now() < deadline, 'the heartbeat did not refresh the lock');
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    assert.equal(other.tryAcquire(), false);
    holder.release();
  });

  it('two starters that both saw the same stale lock: only one takes it over', () => {
    const file = lockFile();
    writeFileSync(file, JSON.stringify({ pid: 2 ** 22 + 7, host: 'elsewhere', token: 'old' }));
    backdate(file, 60_000);
    const second = new StartLock(file);
    let secondGot: boolean | undefined;
    // The first starter has judged the lock stale; before it acts, the second one does it all.
    const first = new StartLock(file, {
      onStaleSeen: () => {
        secondGot ??= second.tryAcquire();
      },
    });
    const firstGot = first.tryAcquire();
    assert.equal(secondGot, true);
    assert.equal(firstGot, false, 'the first must not replace the lock the second now holds');
    assert.equal(JSON.parse(readFileSync(file, 'utf8')).pid, process.pid);
    first.release(); // not its lock: left alone
    assert.equal(existsSync(file), true);
    second.release();
    assert.equal(existsSync(file), false);
  });
});
