import { readFile } from 'node:fs/promises';
import { extname } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  BrowserWindow,
  protocol,
  session,
  shell,
  type IpcMainInvokeEvent,
  type WebContents,
} from 'electron';
import {
  APP_ORIGIN,
  APP_SCHEME,
  CSP,
  INDEX_URL,
  MIME,
  isAppUrl,
  resolveRendererFile,
  webLink,
} from './app-origin.js';

/**
 * Every window of the desktop app, and all of its hardening, in one place.
 *
 * The renderer is served from a custom `app://volatility-insight/` scheme (registered as a
 * privileged standard, secure scheme), not from `file://`:
 * - it gives the page a real origin of its own, so every IPC sender check compares against one
 *   exact origin, and `'self'` in the CSP means only our files (with `file://`, every file on the
 *   disk shares one origin and `'self'` would allow any local file);
 * - the handler serves only files under dist/renderer (no `..` escapes), with
 *   the CSP as a response header, so the policy holds even if index.html lost its meta tag;
 * - the `grantFileProtocolExtraPrivileges` fuse can then be off: `file://` gets no extra powers.
 */

/** dist/renderer, next to dist/main (this file is dist/main/shells/electron/windows.js). */
const RENDERER_DIR = fileURLToPath(new URL('../../../renderer/', import.meta.url));
/** dist/preload/preload.cjs: one bundled CommonJS file (a sandboxed preload cannot import). */
const PRELOAD = fileURLToPath(new URL('../../../preload/preload.cjs', import.meta.url));

/** Must run before the app is ready (Electron's rule for privileged schemes). */
export function registerAppScheme(): void {
  protocol.registerSchemesAsPrivileged([
    {
      scheme: APP_SCHEME,
      // corsEnabled: the page's `<script type="module">` is fetched in CORS mode; no other origin
      // gets our files (the handler sends no Access-Control-Allow-Origin).
      privileges: { standard: true, secure: true, supportFetchAPI: false, corsEnabled: true },
    },
  ]);
}

/** Only http(s) links go to the system browser; everything else is dropped. */
export function openExternalIfWeb(url: string): void {
  const link = webLink(url);
  if (link) void shell.openExternal(link);
}

function securityHeaders(contentType: string): Record<string, string> {
  return {
    'Content-Type': contentType,
    'Content-Security-Policy': CSP,
    'X-Content-Type-Options': 'nosniff',
    'Cross-Origin-Opener-Policy': 'same-origin',
    'Cross-Origin-Resource-Policy': 'same-origin',
    'Referrer-Policy': 'no-referrer',
  };
}

/**
 * Session-wide rules, once, after `ready`: the app:// handler, permissions denied, and the CSP
 * added to every response the session sees (defence in depth beside the handler's header).
 */
export function hardenSession(): void {
  const ses = session.defaultSession;
  ses.protocol.handle(APP_SCHEME, async (request) => {
    if (request.method !== 'GET') return new Response('Method not allowed', { status: 405 });
    const file = resolveRendererFile(request.url, RENDERER_DIR);
    if (!file) return new Response('Not found', { status: 404 });
    try {
      const body = await readFile(file);
      const type = MIME[extname(file).toLowerCase()] ?? 'application/octet-stream';
      return new Response(body, { status: 200, headers: securityHeaders(type) });
    } catch {
      return new Response('Not found', { status: 404 });
    }
  });
  ses.setPermissionRequestHandler((_webContents, _permission, callback) => callback(false));
  ses.setPermissionCheckHandler(() => false);
  ses.setDevicePermissionHandler(() => false);
  // The policy is written out here (not `[CSP]`) so electronegativity can evaluate it;
  // tests/unit/build/electron-shell.test.ts keeps it equal to app-origin.ts's CSP.
  ses.webRequest.onHeadersReceived((details, callback) => {
    callback({
      responseHeaders: {
        ...details.responseHeaders,
        'Content-Security-Policy': [
          "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self'; connect-src 'none'; object-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'; frame-src 'none'; worker-src 'none'",
        ],
      },
    });
  });
  // Nothing leaves the machine from the page: any request that is not app:// (or devtools) fails.
  ses.webRequest.onBeforeRequest((details, callback) => {
    const ok = details.url.startsWith(`${APP_ORIGIN}/`) || details.url.startsWith('devtools:');
    callback({ cancel: !ok });
  });
}

const lockedDown = new WeakSet<WebContents>();

/** Navigation, redirects, new windows and webviews: all refused, on every web contents. */
function lockDown(contents: WebContents): void {
  if (lockedDown.has(contents)) return;
  lockedDown.add(contents);
  contents.on('will-navigate', (event, url) => {
    event.preventDefault();
    openExternalIfWeb(url);
  });
  contents.on('will-frame-navigate', (event) => {
    if (!isAppUrl(event.url)) event.preventDefault();
  });
  contents.on('will-redirect', (event) => event.preventDefault());
  contents.on('will-attach-webview', (event) => event.preventDefault());
  contents.setWindowOpenHandler(({ url }) => {
    openExternalIfWeb(url);
    return { action: 'deny' };
  });
}

const windows = new Set<BrowserWindow>();

export function appWindows(): BrowserWindow[] {
  return [...windows];
}

export interface WindowHooks {
  /** After every load of the page (the first, and after each reload). */
  onLoaded(win: BrowserWindow): void;
  onClosed?(win: BrowserWindow): void;
}

export function createMainWindow(hooks: WindowHooks): BrowserWindow {
  const win = new BrowserWindow({
    width: 1280,
    height: 820,
    minWidth: 1024,
    minHeight: 640,
    title: 'Volatility Insight',
    show: false,
    backgroundColor: '#111827',
    webPreferences: {
      preload: PRELOAD,
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      nodeIntegrationInSubFrames: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      experimentalFeatures: false,
      webviewTag: false,
      navigateOnDragDrop: false,
      spellcheck: false,
      safeDialogs: true,
      // Middle-click would open links in new windows (denied anyway by setWindowOpenHandler).
      disableBlinkFeatures: 'Auxclick',
    },
  });
  windows.add(win);
  lockDown(win.webContents);
  win.once('ready-to-show', () => win.show());
  win.webContents.on('did-finish-load', () => hooks.onLoaded(win));
  win.on('closed', () => {
    windows.delete(win);
    hooks.onClosed?.(win);
  });
  void win.loadURL(INDEX_URL);
  return win;
}

/** Any web contents created anywhere (devtools, a stray frame) gets the same rules. */
export function lockDownEveryWebContents(app: Electron.App): void {
  app.on('web-contents-created', (_event, contents) => lockDown(contents));
}

/**
 * Every IPC call must come from the main frame of one of our windows, showing our page. Returns
 * that window; throws (the renderer's invoke rejects) for anything else.
 */
export function assertTrustedSender(event: IpcMainInvokeEvent): BrowserWindow {
  const frame = event.senderFrame;
  const win = BrowserWindow.fromWebContents(event.sender);
  if (
    !frame ||
    !win ||
    !windows.has(win) ||
    frame !== event.sender.mainFrame ||
    frame.parent !== null ||
    !isAppUrl(frame.url)
  ) {
    throw new Error('refused: the request did not come from the app window');
  }
  return win;
}
