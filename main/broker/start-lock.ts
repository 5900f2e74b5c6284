import { randomBytes } from 'node:crypto';
import {
  closeSync,
  fstatSync,
  openSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  utimesSync,
  writeSync,
} from 'node:fs';
import { hostname } from 'node:os';
import { isProcessAlive } from './process-util.js';

/** What a holder writes into the lock file. */
interface LockRecord {
  pid: number;
  host: string;
  token: string;
}

export interface StartLockOptions {
  /** A lock not refreshed for this long is stale, whatever its pid (default 15 s). */
  staleMs?: number;
  /** How often the holder refreshes the lock's modification time (default 1 s). */
  heartbeatMs?: number;
  /** For tests: called after a stale lock was seen, before it is taken over. */
  onStaleSeen?: () => void;
}

/**
 * A cross-process lock file (e.g. "one broker start at a time"), on Linux, macOS and Windows
 * alike: created with O_EXCL, holding the holder's pid, host and a random token. The holder
 * refreshes its modification time every second, so a lock counts as stale when its holder's pid
 * is gone (same host) or when it has not been refreshed for `staleMs` — a pid reused by an
 * unrelated process does not keep a lock alive. Taking over a stale lock is done by one process
 * at a time (an O_EXCL takeover file), which checks again that the lock is the same stale one
 * before replacing it; a second process that saw the same stale lock then finds the new holder.
 */
export class StartLock {
  private readonly staleMs: number;
  private readonly heartbeatMs: number;
  private readonly token = randomBytes(12).toString('hex');
  private heartbeat: NodeJS.Timeout | null = null;

  constructor(
    readonly file: string,
    private readonly options: StartLockOptions = {},
  ) {
    this.staleMs = options.staleMs ?? 15_000;
    this.heartbeatMs = options.heartbeatMs ?? 1000;
  }

  private get takeoverFile(): string {
    return `${this.file}.takeover`;
  }

  /** Takes the lock if it is free or stale; false if another live holder has it. */
  tryAcquire(): boolean {
    if (this.heartbeat) return true;
    if (this.create()) return true;
    const seen = this.read();
    if (seen === null) return this.create(); // released meanwhile
    if (!this.isStale(seen)) return false;
    this.options.onStaleSeen?.();
    return this.takeOver(seen.raw);
  }

  /** Releases the lock if it is still ours (a lock taken over from us is left alone). */
  release(): void {
    if (this.heartbeat) clearInterval(this.heartbeat);
    this.heartbeat = null;
    const current = this.read();
    if (current && parseRecord(current.raw)?.token === this.token) {
      rmSync(this.file, { force: true });
    }
  }

  private create(): boolean {
    let fd: number;
    try {
      fd = openSync(this.file, 'wx', 0o644);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false;
      throw err;
    }
    try {
      const record: LockRecord = { pid: process.pid, host: hostname(), token: this.token };
      writeSync(fd, JSON.stringify(record));
    } finally {
      closeSync(fd);
    }
    this.heartbeat = setInterval(() => {
      try {
        const now = new Date();
        utimesSync(this.file, now, now);
      } catch {
        // removed under us (taken over as stale); release() will leave it alone
      }
    }, this.heartbeatMs);
    this.heartbeat.unref();
    return true;
  }

  /** The lock file's text and age, or null if there is none. */
  private read(): { raw: string; ageMs: number } | null {
    try {
      const fd = openSync(this.file, 'r');
      try {
        const ageMs = Date.now() - fstatSync(fd).mtimeMs;
        return { raw: readFileSync(fd, 'utf8'), ageMs };
      } finally {
        closeSync(fd);
      }
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw err;
    }
  }

  private isStale(seen: { raw: string; ageMs: number }): boolean {
    if (seen.ageMs > this.staleMs) return true;
    const record = parseRecord(seen.raw);
    // Unreadable (a holder between create and write, or an older format): only age decides.
    if (!record) return false;
    return record.host === hostname() && !isProcessAlive(record.pid);
  }

  /** Replaces the stale lock whose text is `staleRaw`, if no one else did so first. */
  private takeOver(staleRaw: string): boolean {
    if (!this.claimTakeover()) return false;
    try {
      const again = this.read();
      if (again === null) return this.create();
      if (again.raw !== staleRaw || !this.isStale(again)) return false;
      rmSync(this.file, { force: true });
      return this.create();
    } finally {
      rmSync(this.takeoverFile, { force: true });
    }
  }

  /** The right to take over, for one process at a time; a takeover left by a crash expires. */
  private claimTakeover(): boolean {
    try {
      closeSync(openSync(this.takeoverFile, 'wx'));
      return true;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    try {
      // A takeover lasts milliseconds: one this old belongs to a process that died in it.
      if (Date.now() - statSync(this.takeoverFile).mtimeMs > this.staleMs) {
        const moved = `${this.takeoverFile}.${this.token}`;
        renameSync(this.takeoverFile, moved);
        rmSync(moved, { force: true });
      }
    } catch {
      // gone meanwhile, or renamed by another process: try again on the next round
    }
    return false;
  }
}

function parseRecord(raw: string): LockRecord | null {
  try {
    const value = JSON.parse(raw) as Partial<LockRecord> | null;
    if (
      value &&
      typeof value.pid === 'number' &&
      typeof value.host === 'string' &&
      typeof value.token === 'string'
    ) {
      return value as LockRecord;
    }
  } catch {
    // not ours
  }
  return null;
}
