/**
 * Why the store refused to open or write a session. `code` is stable, for callers that map
 * refusals to answers (the server maps each to a 4xx):
 * - ESESSIONLINK: the session directory or one of its files is a symbolic link (or a hard link)
 * - ESESSIONLOCKED: another process has the session open
 * - ESESSIONNOTDIR: the session's path exists and is not a directory
 * - ELOGDIRUNSAFE: the log directory is writable by others and could not be made 0700
 * - ESTORECLOSED: the store was shut down
 * - EDROPPED: records awaited by flush() could not be written (disk fault; counted and ranged)
 */
export type StorageErrorCode = 'ESESSIONLINK' | 'ESESSIONLOCKED' | 'ESESSIONNOTDIR' | 'ELOGDIRUNSAFE' | 'ESTORECLOSED' | 'EDROPPED';

export class StorageError extends Error {
  readonly code: StorageErrorCode;
  constructor(code: StorageErrorCode, message: string) {
    super(message);
    this.name = 'StorageError';
    this.code = code;
  }
}
