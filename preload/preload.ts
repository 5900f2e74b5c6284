import { contextBridge, ipcRenderer } from 'electron';

/**
 * The narrow bridge between the sandboxed page and the app. The page gets exactly `window.vi`:
 * string frames over the MessagePort main hands us (the service's transport), and three named
 * calls to main. Nothing of ipcRenderer, MessagePort or Node reaches the page.
 *
 * Bundled into one CommonJS file (dist/preload/preload.cjs): a sandboxed preload can only
 * require('electron') and a few built-ins.
 */

/** Same bound as the transport's (contract/rpc.ts MAX_FRAME_BYTES); kept literal so the bundle stays tiny. */
const MAX_FRAME_CHARS = 1024 * 1024;
/** Frames sent before the port arrives, or received before the page listens (bounded). */
const MAX_BUFFERED = 1000;

type Format = 'csv' | 'parquet';
/** The page's MessagePort, as much of it as we use (the Node tsconfig has no DOM types). */
interface RendererPort {
  onmessage: ((event: { data: unknown }) => void) | null;
  postMessage(data: string): void;
  start(): void;
  close(): void;
}

let port: RendererPort | null = null;
let messageListener: ((frame: string) => void) | null = null;
const closeListeners: ((reason: string) => void)[] = [];
const outbox: string[] = [];
const inbox: string[] = [];

function deliver(data: unknown): void {
  if (typeof data !== 'string') return;
  if (messageListener) messageListener(data);
  else if (inbox.length < MAX_BUFFERED) inbox.push(data);
}

/** Main sends a port after every load, and a new one after the service restarts: use the newest. */
ipcRenderer.on('vi:port', (event) => {
  const next = event.ports[0] as RendererPort | undefined;
  if (!next) return;
  if (port) port.close();
  port = next;
  next.onmessage = (e) => deliver(e.data);
  next.start();
  for (const frame of outbox.splice(0)) next.postMessage(frame);
});

ipcRenderer.on('vi:closed', (_event, reason: unknown) => {
  if (port) port.close();
  port = null;
  const text = typeof reason === 'string' ? reason : 'The connection to the service closed.';
  for (const l of closeListeners) l(text);
});

const vi = {
  send(frame: string): void {
    if (typeof frame !== 'string') throw new TypeError('vi.send takes a string');
    if (frame.length > MAX_FRAME_CHARS) throw new RangeError('a frame is at most 1 MiB');
    if (port) port.postMessage(frame);
    else if (outbox.length < MAX_BUFFERED) outbox.push(frame);
    else throw new Error('the service is not connected');
  },
  onMessage(cb: (frame: string) => void): void {
    if (typeof cb !== 'function') throw new TypeError('vi.onMessage takes a function');
    if (messageListener) throw new Error('vi.onMessage takes one listener');
    messageListener = cb;
    for (const frame of inbox.splice(0)) cb(frame);
  },
  onClose(cb: (reason: string) => void): void {
    if (typeof cb !== 'function') throw new TypeError('vi.onClose takes a function');
    closeListeners.push(cb);
  },
  async chooseExportFile(
    suggestedName: string,
    format: Format,
  ): Promise<{ grant: string; path: string } | null> {
    if (typeof suggestedName !== 'string' || (format !== 'csv' && format !== 'parquet')) {
      throw new TypeError('chooseExportFile(suggestedName: string, format: "csv" | "parquet")');
    }
    const result: unknown = await ipcRenderer.invoke(
      'vi:choose-export-file',
      suggestedName,
      format,
    );
    if (result === null) return null;
    const r = result as { grant?: unknown; path?: unknown };
    if (typeof r.grant !== 'string' || typeof r.path !== 'string') return null;
    return { grant: r.grant, path: r.path };
  },
  async chooseReplayFile(): Promise<{ grant: string; path: string } | null> {
    const result: unknown = await ipcRenderer.invoke('vi:choose-replay-file');
    if (result === null) return null;
    const r = result as { grant?: unknown; path?: unknown };
    if (typeof r.grant !== 'string' || typeof r.path !== 'string') return null;
    return { grant: r.grant, path: r.path };
  },
  async showInFolder(grant: string): Promise<void> {
    if (typeof grant !== 'string') throw new TypeError('showInFolder takes a grant string');
    await ipcRenderer.invoke('vi:show-in-folder', grant);
  },
  platform: process.platform,
};

contextBridge.exposeInMainWorld('vi', vi);
