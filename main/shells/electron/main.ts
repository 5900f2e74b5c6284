import { app, dialog, ipcMain, shell, type BrowserWindow } from 'electron';
import { basename, join } from 'node:path';
import { ServiceProcess } from './service-process.js';
import {
  appWindows,
  assertTrustedSender,
  createMainWindow,
  hardenSession,
  lockDownEveryWebContents,
  registerAppScheme,
} from './windows.js';

/**
 * The desktop app's entry: one instance, one service (in a utilityProcess), hardened windows,
 * and the three IPC calls the preload offers besides the service's own port. Everything else the
 * renderer does goes through the contract over that port.
 */

type Format = 'csv' | 'parquet';
const FILTERS: Record<Format, Electron.FileFilter> = {
  csv: { name: 'CSV', extensions: ['csv'] },
  parquet: { name: 'Parquet', extensions: ['parquet'] },
};

/** Files the person chose in a save dialog, by the grant the service gave for each. */
const grants = new Map<string, string>();

const service = new ServiceProcess({
  onCrash(reason) {
    grants.clear();
    for (const win of appWindows()) win.webContents.send('vi:closed', reason);
  },
  onRestarted() {
    // Each page keeps its state: the preload switches to the new port, and the renderer's new
    // client (whose frames waited in the preload) reads the state again.
    for (const win of appWindows()) connectWindow(win);
  },
});

function connectWindow(win: BrowserWindow): void {
  const port = service.connectView();
  if (port) win.webContents.postMessage('vi:port', null, [port]);
  else win.webContents.send('vi:closed', 'The service is not running.');
}

function openWindow(): BrowserWindow {
  return createMainWindow({ onLoaded: connectWindow });
}

function exportFileName(suggested: unknown, format: Format): string {
  const raw = typeof suggested === 'string' ? basename(suggested).slice(0, 200) : '';
  // eslint-disable-next-line no-control-regex
  const clean = raw.replace(/[\u0000-\u001f<>:"/\\|?*]/g, '_').trim();
  return clean || `enriched-trades.${format}`;
}

function registerIpc(): void {
  ipcMain.handle(
    'vi:choose-export-file',
    async (event, suggestedName: unknown, format: unknown) => {
      const win = assertTrustedSender(event);
      if (format !== 'csv' && format !== 'parquet')
        throw new Error('format must be csv or parquet');
      const result = await dialog.showSaveDialog(win, {
        title: 'Export enriched trades',
        defaultPath: join(app.getPath('documents'), exportFileName(suggestedName, format)),
        filters: [FILTERS[format]],
        properties: ['createDirectory', 'showOverwriteConfirmation'],
      });
      if (result.canceled || !result.filePath) return null;
      const path = result.filePath;
      // The service refuses paths it must not write (the database itself, a relative path).
      const { grant } = await service.api().call('paths.grant', { path, purpose: 'export' });
      grants.set(grant, path);
      return { grant, path };
    },
  );

  ipcMain.handle('vi:choose-replay-file', async (event) => {
    const win = assertTrustedSender(event);
    const result = await dialog.showOpenDialog(win, {
      title: 'Replay recorded trades',
      defaultPath: app.getPath('documents'),
      filters: [
        { name: 'Trades (CSV, Parquet, JSON lines)', extensions: ['csv', 'parquet', 'jsonl'] },
        { name: 'All files', extensions: ['*'] },
      ],
      properties: ['openFile'],
    });
    const path = result.canceled ? undefined : result.filePaths[0];
    if (!path) return null;
    // A read grant: the service keeps it apart from export grants (it never writes there).
    const { grant } = await service.api().call('paths.grant', { path, purpose: 'replay' });
    return { grant, path };
  });

  ipcMain.handle('vi:show-in-folder', (event, grant: unknown) => {
    assertTrustedSender(event);
    const path = typeof grant === 'string' ? grants.get(grant) : undefined;
    if (path === undefined) throw new Error('unknown file: export it again');
    shell.showItemInFolder(path);
  });
}

function main(): void {
  if (!app.requestSingleInstanceLock()) {
    app.quit();
    return;
  }
  registerAppScheme();
  lockDownEveryWebContents(app);

  app.on('second-instance', () => {
    const win = appWindows()[0];
    if (!win) return;
    if (win.isMinimized()) win.restore();
    win.focus();
  });

  let stopped = false;
  let stopping = false;
  app.on('before-quit', (event) => {
    if (stopped) return;
    event.preventDefault();
    if (stopping) return;
    stopping = true;
    // The producer flushes and the enrichment stores its batch before the app exits (bounded).
    void service.shutdown().finally(() => {
      stopped = true;
      app.quit();
    });
  });
  app.on('window-all-closed', () => app.quit());
  for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, () => app.quit());

  void app.whenReady().then(() => {
    hardenSession();
    registerIpc();
    service.start();
    openWindow();
    app.on('activate', () => {
      if (appWindows().length === 0) openWindow();
    });
  });
}

main();
