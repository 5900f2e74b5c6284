import { closeSync, fsyncSync, openSync, renameSync, unlinkSync, writeSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
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
 * A file that appears under its final name only when complete: written to a hidden temporary
 * name in the same folder (so the rename cannot cross file systems), fsynced, then renamed over
 * the destination. `discard()` removes the temporary file; nothing is ever left half-written.
 */
export class AtomicFile {
  readonly tempPath: string;
  private fd: number | null;
  private written = 0;
  private renamed = false;
  private readonly io: FileIo;

  constructor(
    readonly path: string,
    io: Partial<FileIo> = {},
  ) {
    this.io = { ...realIo, ...io };
    this.tempPath = join(
      dirname(path),
      `.${basename(path)}.${process.pid}.${randomBytes(4).toString('hex')}.partial`,
    );
    // 'wx': never reuse or follow an existing file at the temporary name.
    this.fd = openSync(this.tempPath, 'wx', 0o644);
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
