import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { pathToFileURL } from 'node:url';
import { builtCli } from '../../../bin/node-dist.mjs';
import { tempDir } from '../../support/jvm-broker.js';

// The CLI runs from dist/ when it can: built from main/ and contract/ on first use, rebuilt only
// when a source changed, and skipped (tsx runs the sources) when asked.

const dir = tempDir('vi-node-dist-');
after(() => dir.cleanup());

function project(name: string, answer: number): string {
  const root = join(dir.path, name);
  mkdirSync(join(root, 'main', 'shells'), { recursive: true });
  mkdirSync(join(root, 'contract'), { recursive: true });
  writeFileSync(join(root, 'contract', 'answer.ts'), `export const ANSWER: number = ${answer};\n`);
  writeFileSync(
    join(root, 'main', 'shells', 'cli.ts'),
    "import { ANSWER } from '../../contract/answer.js';\n" +
      'export async function main(_args: string[]): Promise<number> { return ANSWER; }\n',
  );
  return root;
}

async function run(entry: string): Promise<number> {
  const mod = (await import(pathToFileURL(entry).href)) as {
    main(args: string[]): Promise<number>;
  };
  return mod.main([]);
}

describe('builtCli', () => {
  it('builds on first use, reuses the build, and rebuilds after a source changes', async () => {
    const root = project('fresh', 41);
    const entry = await builtCli(root);
    assert.equal(entry, join(root, 'dist', 'main', 'shells', 'cli.js'));
    assert.equal(await run(entry), 41);
    assert.ok(existsSync(join(root, 'dist', 'contract', 'answer.js')));

    const builtAt = statSync(entry).mtimeMs;
    const stamp = readFileSync(join(root, 'dist', '.node-build.json'), 'utf8');
    assert.equal(await builtCli(root), entry);
    assert.equal(statSync(entry).mtimeMs, builtAt, 'an unchanged source is not rebuilt');
    assert.equal(readFileSync(join(root, 'dist', '.node-build.json'), 'utf8'), stamp);

    const source = join(root, 'contract', 'answer.ts');
    writeFileSync(source, 'export const ANSWER: number = 42;\n');
    const later = new Date(Date.now() + 5_000);
    utimesSync(source, later, later);
    assert.equal(await builtCli(root), entry);
    // (imported modules are cached by URL: the rebuilt file is read, not imported again)
    assert.match(readFileSync(join(root, 'dist', 'contract', 'answer.js'), 'utf8'), /= 42;/);
  });

  it('rebuilds when a source file is added, even one older than the last build', async () => {
    const root = project('added', 1);
    await builtCli(root);
    const extra = join(root, 'main', 'extra.ts');
    writeFileSync(extra, 'export const EXTRA = 2;\n');
    utimesSync(extra, new Date(0), new Date(0));
    await builtCli(root);
    assert.ok(existsSync(join(root, 'dist', 'main', 'extra.js')));
  });

  it('uses a shipped build without sources, and runs the sources when VI_FROM_SOURCE=1', async () => {
    const shipped = join(dir.path, 'shipped');
    mkdirSync(join(shipped, 'dist', 'main', 'shells'), { recursive: true });
    writeFileSync(join(shipped, 'dist', 'main', 'shells', 'cli.js'), 'export const x = 1;\n');
    assert.equal(await builtCli(shipped), join(shipped, 'dist', 'main', 'shells', 'cli.js'));
    assert.equal(await builtCli(join(dir.path, 'nothing-here')), null);

    const root = project('from-source', 3);
    process.env.VI_FROM_SOURCE = '1';
    try {
      assert.equal(await builtCli(root), null);
      assert.ok(!existsSync(join(root, 'dist')));
    } finally {
      delete process.env.VI_FROM_SOURCE;
    }
  });
});
