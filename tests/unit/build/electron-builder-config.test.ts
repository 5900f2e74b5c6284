import assert from 'node:assert/strict';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { Ajv } from 'ajv';
import { load } from 'js-yaml';
import { outsideAsar } from '../../../main/paths.js';

const root = fileURLToPath(new URL('../../../', import.meta.url));
const config = load(readFileSync(join(root, 'electron-builder.yml'), 'utf8')) as Record<
  string,
  unknown
>;
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as {
  main: string;
  scripts: Record<string, string>;
};

interface ExtraResource {
  from: string;
  to: string;
  filter?: string[];
}

/** A glob pattern's fixed leading folders (up to the first segment with a glob character). */
function patternRoot(pattern: string): string {
  const fixed: string[] = [];
  for (const segment of pattern.split('/')) {
    if (/[*?{}[\]!]/.test(segment)) break;
    fixed.push(segment);
  }
  return fixed.join('/');
}

describe('electron-builder.yml', () => {
  it("is valid against electron-builder's own schema (app-builder-lib/scheme.json)", () => {
    const schema = JSON.parse(
      readFileSync(join(root, 'node_modules', 'app-builder-lib', 'scheme.json'), 'utf8'),
    ) as object;
    const ajv = new Ajv({ allErrors: true, strict: false, validateFormats: false });
    const validate = ajv.compile(schema);
    const ok = validate(config);
    assert.ok(ok, ajv.errorsText(validate.errors, { separator: '\n' }));
  });

  it('builds AppImage and deb, NSIS and dmg, with an app id, a product name and an icon', () => {
    assert.equal(config.appId, 'dev.volatility-insight.app');
    assert.equal(config.productName, 'Volatility Insight');
    const targets = (platform: string) =>
      (config[platform] as { target: (string | { target: string })[] }).target.map((t) =>
        typeof t === 'string' ? t : t.target,
      );
    assert.deepEqual(targets('linux').sort(), ['AppImage', 'deb']);
    assert.deepEqual(targets('win'), ['nsis']);
    assert.deepEqual(targets('mac'), ['dmg']);
  });

  it('has a 512×512 PNG icon at the path it names', () => {
    const icon = join(root, config.icon as string);
    const png = readFileSync(icon);
    assert.equal(png.subarray(1, 4).toString('ascii'), 'PNG');
    assert.equal(png.readUInt32BE(16), 512);
    assert.equal(png.readUInt32BE(20), 512);
  });

  it('names only paths that exist (files roots, extra resources and their filters)', () => {
    const files = config.files as string[];
    for (const pattern of files.filter((p) => !p.startsWith('!'))) {
      const base = patternRoot(pattern);
      if (base === 'dist' || base.startsWith('dist/')) continue; // the build's output, checked below
      assert.ok(existsSync(join(root, base)), `files: ${pattern} — ${base} does not exist`);
    }
    for (const r of config.extraResources as ExtraResource[]) {
      const from = join(root, r.from);
      assert.ok(existsSync(from), `extraResources: ${r.from} does not exist`);
      for (const f of r.filter ?? []) {
        assert.ok(statSync(from).isDirectory(), `${r.from} has a filter but is not a folder`);
        assert.ok(existsSync(join(from, f)), `extraResources: ${r.from}/${f} does not exist`);
      }
    }
  });

  it("packs the app's entry: package.json main is the built Electron main, from an existing source", () => {
    assert.equal(pkg.main, 'dist/main/shells/electron/main.js');
    assert.ok(existsSync(join(root, 'main', 'shells', 'electron', 'main.ts')));
    assert.ok((config.files as string[]).includes('dist/**/*'));
    assert.match(pkg.scripts['build:installers'] ?? '', /build-electron\.mjs/);
  });

  it('puts what docker, bash and Maven read where main/paths.ts looks in a packaged app', () => {
    const resources = '/opt/Volatility Insight/resources';
    assert.equal(outsideAsar(`${resources}/app.asar`), resources);
    assert.equal(outsideAsar('/home/u/volatility-insight'), '/home/u/volatility-insight');
    const placed = new Set<string>();
    for (const r of config.extraResources as ExtraResource[]) {
      if (r.filter) for (const f of r.filter) placed.add(`${r.to}/${f}`);
      else placed.add(r.to);
    }
    // What main/broker/docker.ts and main/broker/jvm.ts (and the fetch script) open under APP_ROOT.
    for (const needed of [
      'docker-compose.yml',
      'scripts/kafka-fetch.sh',
      'scripts/kafka/pom.xml',
      'scripts/kafka/log4j2.yaml',
    ]) {
      assert.ok(placed.has(needed), `${needed} is not among extraResources`);
      assert.ok(existsSync(join(root, needed)), `${needed} does not exist in the sources`);
    }
    assert.equal(dirname('scripts/kafka/pom.xml'), 'scripts/kafka');
  });

  it('rebuilds better-sqlite3 for Electron and unpacks its native addon', () => {
    assert.equal(config.npmRebuild, true);
    assert.equal(config.buildDependenciesFromSource, true);
    assert.ok(
      (config.asarUnpack as string[]).some(
        (p) => p.includes('better-sqlite3') && p.endsWith('.node'),
      ),
    );
  });

  it('sets the Electron fuses', () => {
    assert.deepEqual(config.electronFuses, {
      runAsNode: false,
      enableCookieEncryption: true,
      enableNodeOptionsEnvironmentVariable: false,
      enableNodeCliInspectArguments: false,
      enableEmbeddedAsarIntegrityValidation: true,
      onlyLoadAppFromAsar: true,
      grantFileProtocolExtraPrivileges: false,
    });
  });
});
