import {
  closeSync,
  fsyncSync,
  futimesSync,
  openSync,
  readdirSync,
  renameSync,
  statSync,
  unlinkSync,
  writeSync,
} from 'node:fs';
import { dirname, join } from 'node:path';
import { randomBytes } from 'node:crypto';

/** The file calls the export makes; tests replace some to inject failures (e.g. ENOSPC). */
export interface FileIo {
  writeSync(fd: number, data: Uint8Array): number;
  fsyncSync(fd: number): void;
}

const realIo: FileIo = {
  writeSync: (fd, data) => writeSync(fd, data),
  fsyncSync: (fd) => fsyncSync(fd),
};

/**
 * Temporary names: short (`.vi-export-<pid>-<random>.partial`), so a final name of up to 255
 * bytes still has a temporary name the file system accepts. Earlier versions used
 * `.<final name>.<pid>.<random>.partial`; both are recognised when cleaning up.
 */
const TEMP_NAME = /^\.vi-export-(\d+)-[0-9a-f]{8}\.partial$/;
const OLD_TEMP_NAME = /^\..+\.(\d+)\.[0-9a-f]{8}\.partial$/;

/** A live export touches its temporary file at least this often (even while it waits). */
export const TEMP_HEARTBEAT_MS = 30_000;
/** Not touched for this long: left by an export that was killed (a live one touches it). */
export const TEMP_STALE_MS = 10 * 60_000;
/** Not touched for this long and its writer's pid is gone on this machine: left by a kill. */
export const TEMP_ORPHAN_MS = 2 * 60_000;

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Removes temporary files that killed exports left in `dir`. A live export (in this process,
 * another one, or on another machine sharing the folder) refreshes its file's modification time
 * every TEMP_HEARTBEAT_MS, so only files untouched for TEMP_STALE_MS are removed — or untouched
 * for TEMP_ORPHAN_MS when the pid in the name is not running here. Returns the names removed.
 */
export function removeStaleTempFiles(dir: string, now = Date.now()): string[] {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return [];
  }
  const removed: string[] = [];
  for (const name of names) {
    const m = TEMP_NAME.exec(name) ?? OLD_TEMP_NAME.exec(name);
    if (!m) continue;
    const path = join(dir, name);
    try {
      const st = statSync(path);
      if (!st.isFile()) continue;
      const idleMs = now - st.mtimeMs;
      const pid = Number(m[1]);
      const stale =
        idleMs > TEMP_STALE_MS ||
        (idleMs > TEMP_ORPHAN_MS && pid !== process.pid && !pidAlive(pid));
      if (!stale) continue;
      unlinkSync(path);
      removed.push(name);
    } catch {
      // removed by someone else meanwhile, or not ours to remove: leave it
    }
  }
  return removed;
}

/**
 * A file that appears under its final name only when complete: written to a hidden temporary
 * name in the same folder (so the rename cannot cross file systems), fsynced, then renamed over
 * the destination. `discard()` removes the temporary file; nothing is ever left half-written.
 * Creating one first removes what killed exports left in that folder (removeStaleTempFiles).
 */
export class AtomicFile {
  readonly tempPath: string;
  private fd: number | null;
  private written = 0;
  private renamed = false;
  private readonly io: FileIo;
  private heartbeat: NodeJS.Timeout | null = null;

  constructor(
    readonly path: string,
    io: Partial<FileIo> = {},
  ) {
    this.io = { ...realIo, ...io };
    const dir = dirname(path);
    removeStaleTempFiles(dir);
    this.tempPath = join(
      dir,
      `.vi-export-${process.pid}-${randomBytes(4).toString('hex')}.partial`,
    );
    // 'wx': never reuse or follow an existing file at the temporary name.
    const fd = openSync(this.tempPath, 'wx', 0o644);
    this.fd = fd;
    // Keeps the temporary file recognisably alive for removeStaleTempFiles in other exports.
    this.heartbeat = setInterval(() => {
      try {
        const t = new Date();
        futimesSync(fd, t, t);
      } catch {
        // closed meanwhile
      }
    }, TEMP_HEARTBEAT_MS);
    this.heartbeat.unref();
  }

  private stopHeartbeat(): void {
    if (this.heartbeat) clearInterval(this.heartbeat);
    this.heartbeat = null;
  }

  get bytesWritten(): number {
    return this.written;
  }

  write(data: Uint8Array): void {
    if (this.fd === null) throw new Error('write after close');
    let off = 0;
    while (off < data.length) {
      off += this.io.writeSync(this.fd, off === 0 ? data : data.subarray(off));
    }
    this.written += data.length;
  }

  /** fsync, close, rename into place, then fsync the folder so the rename itself is durable. */
  commit(): void {
    if (this.fd === null) throw new Error('commit after close');
    this.stopHeartbeat();
    this.io.fsyncSync(this.fd);
    closeSync(this.fd);
    this.fd = null;
    renameSync(this.tempPath, this.path);
    this.renamed = true;
    try {
      const dirFd = openSync(dirname(this.path), 'r');
      try {
        fsyncSync(dirFd);
      } finally {
        closeSync(dirFd);
      }
    } catch {
      // Some file systems refuse fsync on a folder; the file itself is already durable.
    }
  }

  /** Closes and deletes the temporary file; safe to call more than once or after commit. */
  discard(): void {
    this.stopHeartbeat();
    if (this.fd !== null) {
      try {
        closeSync(this.fd);
      } catch {
        // already failing; the unlink below is what matters
      }
      this.fd = null;
    }
    if (!this.renamed) {
      try {
        unlinkSync(this.tempPath);
      } catch {
        // gone already
      }
    }
  }
}
