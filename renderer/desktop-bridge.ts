/**
 * What the desktop app's preload exposes as `window.vi` (contextBridge). Nothing of Electron is
 * reachable beyond these methods: frames to and from the service, the shell dialogs an
 * export and a replay need, and the platform name. In a browser, `window.vi` is absent.
 */
export interface DesktopBridge {
  /** Sends one frame (JSON text, see contract/rpc.ts) to the service. */
  send(frame: string): void;
  onMessage(cb: (frame: string) => void): void;
  onClose(cb: (reason: string) => void): void;
  /**
   * Opens the system save dialog; the main process registers the chosen path with the service
   * (`paths.grant`) and returns the grant, and the path for display. Null when cancelled.
   */
  chooseExportFile(
    suggestedName: string,
    format: 'csv' | 'parquet',
  ): Promise<{ grant: string; path: string } | null>;
  /**
   * Opens the system open dialog for a file of recorded trades; the main process grants it to
   * the service for reading (`paths.grant`, purpose 'replay') and returns the grant, and the path
   * for display. Null when cancelled.
   */
  chooseReplayFile(): Promise<{ grant: string; path: string } | null>;
  /** Shows an exported file in the system file manager. */
  showInFolder(grant: string): Promise<void>;
  /** process.platform of the main process: 'darwin', 'win32', 'linux'. */
  platform: string;
}

declare global {
  interface Window {
    vi?: DesktopBridge;
  }
}

export function desktopBridge(): DesktopBridge | null {
  return window.vi ?? null;
}
