import type { ExportErrorCode } from '../../contract/export.js';

/** An export failure with a code the UI can act on and a message that says what to do. */
export class ExportError extends Error {
  override name = 'ExportError';
  constructor(
    readonly code: ExportErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** Maps a file-system error on the destination to an ExportError naming the fix. */
export function destinationError(err: unknown, dest: string): ExportError {
  const code = (err as NodeJS.ErrnoException | null)?.code;
  const detail = (err as Error | null)?.message ?? String(err);
  switch (code) {
    case 'ENOSPC':
    case 'EDQUOT':
      return new ExportError(
        'disk-full',
        `no space left to write ${dest}: free some disk space or export to another disk, ` +
          'or narrow the selection (symbols, time range); nothing was written',
        { cause: err },
      );
    case 'EACCES':
    case 'EPERM':
    case 'EROFS':
      return new ExportError(
        'unwritable',
        `cannot write ${dest} (${code}): choose a folder you can write to`,
        { cause: err },
      );
    case 'ENOENT':
    case 'ENOTDIR':
      return new ExportError(
        'unwritable',
        `cannot write ${dest}: its folder does not exist; create it or choose another destination`,
        { cause: err },
      );
    case 'EISDIR':
      return new ExportError('unwritable', `${dest} is a folder: give a file name to export to`, {
        cause: err,
      });
    default:
      return new ExportError('io', `writing ${dest} failed: ${detail}`, { cause: err });
  }
}
