import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import {
  APP_ORIGIN,
  CSP,
  isAppUrl,
  resolveRendererFile,
  webLink,
} from '../../../main/shells/electron/app-origin.js';

const root = '/opt/vi/dist/renderer';

describe('the desktop renderer origin (app://volatility-insight)', () => {
  it('serves files under dist/renderer only', () => {
    assert.equal(resolveRendererFile(`${APP_ORIGIN}/`, root), join(root, 'index.html'));
    assert.equal(resolveRendererFile(`${APP_ORIGIN}/index.html`, root), join(root, 'index.html'));
    assert.equal(resolveRendererFile(`${APP_ORIGIN}/app.js?x=1#y`, root), join(root, 'app.js'));
    assert.equal(resolveRendererFile(`${APP_ORIGIN}/views/a.css`, root), join(root, 'views/a.css'));
  });

  it('never leaves dist/renderer (dot segments are resolved by the URL, encoded ones refused)', () => {
    // The URL parser resolves a literal /../ at the root: what remains is inside the folder.
    assert.equal(
      resolveRendererFile(`${APP_ORIGIN}/../main/paths.js`, root),
      join(root, 'main/paths.js'),
    );
    for (const url of [
      `${APP_ORIGIN}/%2e%2e/%2e%2e/etc/passwd`,
      `${APP_ORIGIN}/..%2f..%2fetc/passwd`,
      `${APP_ORIGIN}/a/..%2f..%2f..%2fetc/passwd`,
    ]) {
      const file = resolveRendererFile(url, root);
      assert.ok(file === null || file.startsWith(`${root}/`), `${url} → ${file}`);
    }
  });

  it('refuses other hosts, other schemes and malformed URLs', () => {
    for (const url of [
      `${APP_ORIGIN}/a%00.js`,
      `${APP_ORIGIN}/%E0%A4%A`,
      'app://other-host/index.html',
      'file:///opt/vi/dist/renderer/index.html',
      'https://volatility-insight/index.html',
      'not a url',
    ]) {
      assert.equal(resolveRendererFile(url, root), null, url);
    }
  });

  it('tells our pages from everything else', () => {
    assert.equal(isAppUrl(`${APP_ORIGIN}/index.html`), true);
    assert.equal(isAppUrl('app://evil/index.html'), false);
    assert.equal(isAppUrl('file:///index.html'), false);
    assert.equal(isAppUrl('https://example.com/'), false);
  });

  it('opens only http(s) links outside', () => {
    assert.equal(webLink('https://kafka.apache.org/'), 'https://kafka.apache.org/');
    assert.equal(webLink('http://example.com/a'), 'http://example.com/a');
    for (const url of ['file:///etc/passwd', 'javascript:alert(1)', 'smb://host/share', 'x']) {
      assert.equal(webLink(url), null, url);
    }
  });

  it('has a CSP without inline script, eval or remote sources', () => {
    assert.doesNotMatch(CSP, /unsafe-inline|unsafe-eval|https?:|\*/);
    assert.match(CSP, /default-src 'none'/);
    assert.match(CSP, /script-src 'self'/);
    assert.match(CSP, /connect-src 'none'/);
  });

  it('sends the same CSP from the session hook as from the app:// handler', () => {
    // windows.ts spells the policy out for electronegativity; it must stay the one policy.
    const source = readFileSync(
      new URL('../../../main/shells/electron/windows.ts', import.meta.url),
      'utf8',
    );
    const literal = /'Content-Security-Policy': \[\s*"([^"]+)"/.exec(source)?.[1];
    assert.equal(literal, CSP);
  });
});
