// The one test command (npm test): type-check, lint, format check, then the unit and the
// integration tests with Node's test runner. `--only static|unit|integration|e2e` runs one part;
// extra arguments after `--` are test-file filters (substrings of the path).
import { spawnSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';

const args = process.argv.slice(2);
const onlyAt = args.indexOf('--only');
const only = onlyAt >= 0 ? args[onlyAt + 1] : undefined;
const dashAt = args.indexOf('--');
const filters = dashAt >= 0 ? args.slice(dashAt + 1) : [];
const root = new URL('..', import.meta.url).pathname;

function run(label, cmd, cmdArgs) {
  console.log(`\n=== ${label}: ${cmd} ${cmdArgs.join(' ')}`);
  const res = spawnSync(cmd, cmdArgs, { stdio: 'inherit', cwd: root });
  if (res.status !== 0) {
    console.error(`=== ${label} failed (exit ${res.status ?? res.signal})`);
    process.exit(res.status ?? 1);
  }
}

function testFiles(dir) {
  const out = [];
  const walk = (d) => {
    for (const name of readdirSync(d)) {
      const p = join(d, name);
      if (statSync(p).isDirectory()) walk(p);
      else if (name.endsWith('.test.ts')) out.push(relative(root, p));
    }
  };
  try {
    walk(join(root, dir));
  } catch {
    return [];
  }
  return out.filter((f) => filters.length === 0 || filters.some((x) => f.includes(x))).sort();
}

const bin = (name) => join(root, 'node_modules', '.bin', name);

if (!only || only === 'static') {
  run('typecheck (node)', bin('tsc'), ['-p', 'tsconfig.json', '--noEmit']);
  run('typecheck (renderer)', bin('tsc'), ['-p', 'tsconfig.renderer.json', '--noEmit']);
  run('lint', bin('eslint'), ['.']);
  run('format', bin('prettier'), ['--check', '.']);
}

const suites = only && only !== 'static' ? [only] : only ? [] : ['unit', 'integration', 'e2e'];
const files = suites.flatMap((s) => testFiles(join('tests', s)));
if (suites.length > 0) {
  if (files.length === 0) {
    console.error('no test files matched');
    process.exit(1);
  }
  run('tests', process.execPath, [
    '--import',
    'tsx',
    '--test',
    '--test-reporter=spec',
    '--test-concurrency=1',
    ...files,
  ]);
}
