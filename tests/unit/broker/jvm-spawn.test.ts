import assert from 'node:assert/strict';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, it } from 'node:test';
import { JvmBrokerProvider } from '../../../main/broker/jvm.js';
import { BrokerError } from '../../../main/broker/provider.js';
import { freePorts } from '../../../main/net-util.js';

const dir = mkdtempSync(join(tmpdir(), 'vi-jvm-spawn-'));
after(() => rmSync(dir, { recursive: true, force: true }));

it(
  'java gone between the version check and the broker spawn: a clear error, no crash',
  { skip: process.platform === 'win32' ? 'uses a shell script as java' : false },
  async () => {
    // A "java" that answers the version check once and then is gone (uninstalled mid-way).
    const bin = join(dir, 'bin');
    mkdirSync(bin);
    const java = join(bin, 'java');
    writeFileSync(java, `#!/bin/sh\necho 'openjdk version "17.0.9"' >&2\n/bin/rm -f "$0"\n`);
    chmodSync(java, 0o755);
    const kafkaHome = join(dir, 'kafka');
    mkdirSync(kafkaHome);
    writeFileSync(join(kafkaHome, '.complete'), '');
    const dataDir = join(dir, 'data');
    mkdirSync(join(dataDir, 'kraft-logs'), { recursive: true });
    writeFileSync(join(dataDir, 'kraft-logs', 'meta.properties'), ''); // formatted already
    const [port, controllerPort] = await freePorts(2);
    const provider = new JvmBrokerProvider({
      port,
      controllerPort,
      dataDir,
      kafkaHome,
      env: { PATH: bin, HOME: dir },
    });
    await assert.rejects(provider.start({ timeoutMs: 20_000 }), (err: unknown) => {
      assert.ok(err instanceof BrokerError, String(err));
      assert.equal(err.code, 'java-missing');
      assert.match(err.message, /java is no longer on the PATH/);
      return true;
    });
    assert.equal(existsSync(java), false);
    assert.equal(existsSync(join(dataDir, 'start.lock')), false, 'the start lock is released');
    assert.equal(existsSync(join(dataDir, 'broker.pid')), false);
  },
);
