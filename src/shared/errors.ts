// src/shared/errors.ts — the one registry of coded errors (WDAV_ERR_*), shared by the API
// (HTTP status + JSON body) and the CLI (one-line message, non-zero exit).
// Owns: codes, their HTTP status and default message. Must not: log, or know about Fastify.
// docs/errors.md lists every code; test/unit/errors-doc.test.ts keeps the two in agreement.

export const ERRORS = {
  WDAV_ERR_BAD_REQUEST: { status: 400, message: 'The request is malformed' },
  WDAV_ERR_INVALID_ARGUMENT: { status: 400, message: 'Invalid argument' },
  WDAV_ERR_INVALID_PATH: { status: 400, message: 'Invalid path' },
  WDAV_ERR_BODY_TOO_LARGE: { status: 413, message: 'Request body is too large' },
  WDAV_ERR_UNSUPPORTED_MEDIA: { status: 415, message: 'Unsupported content type' },
  WDAV_ERR_NOT_FOUND: { status: 404, message: 'Not found' },
  WDAV_ERR_ROUTE_NOT_FOUND: { status: 404, message: 'Unknown API route' },
  WDAV_ERR_FORBIDDEN: { status: 403, message: 'Permission denied: this operation requires administrative privileges' },
  WDAV_ERR_MANAGED_SETTING: { status: 409, message: 'The setting is managed by the administrator (mdatp_managed.json) and cannot be changed locally' },
  WDAV_ERR_CONFLICT: { status: 409, message: 'The operation conflicts with the current state' },
  WDAV_ERR_ALREADY_EXISTS: { status: 409, message: 'Already exists' },
  WDAV_ERR_ACTION_DISALLOWED: { status: 403, message: 'This action is disallowed by the administrator (disallowedThreatActions)' },
  WDAV_ERR_BUSY: { status: 503, message: 'The daemon is busy; try again' },
  WDAV_ERR_UNAVAILABLE: { status: 503, message: 'The service is not available' },
  WDAV_ERR_SHUTTING_DOWN: { status: 503, message: 'The daemon is shutting down' },
  WDAV_ERR_CONFIG_INVALID: { status: 400, message: 'Invalid configuration' },
  WDAV_ERR_DEFINITIONS_INVALID: { status: 422, message: 'Definitions are invalid' },
  WDAV_ERR_DEFINITIONS_UPDATE_FAILED: { status: 502, message: 'Definitions update failed' },
  WDAV_ERR_SIGNATURE_INVALID: { status: 422, message: 'Signature verification failed' },
  WDAV_ERR_SCAN_NOT_FOUND: { status: 404, message: 'No such scan' },
  WDAV_ERR_SCAN_CANCELLED: { status: 409, message: 'The scan was cancelled' },
  WDAV_ERR_FILE_UNREADABLE: { status: 422, message: 'The file could not be read for scanning' },
  WDAV_ERR_THREAT_NOT_FOUND: { status: 404, message: 'No threat with this id' },
  WDAV_ERR_QUARANTINE_FAILED: { status: 500, message: 'Quarantine operation failed' },
  WDAV_ERR_RESTORE_REFUSED: { status: 409, message: 'Restore refused' },
  WDAV_ERR_NOT_QUARANTINED: { status: 409, message: 'The threat is not in quarantine' },
  WDAV_ERR_RESTORE_DESTINATION_EXISTS: { status: 409, message: 'Restore refused: a file with this name exists in the destination' },
  WDAV_ERR_RESTORE_DESTINATION_UNSAFE: { status: 400, message: 'Restore refused: the destination path contains a symbolic link or a non-directory' },
  WDAV_ERR_QUARANTINE_DAMAGED: { status: 500, message: 'The quarantined copy does not match its recorded hash' },
  WDAV_ERR_DB: { status: 500, message: 'Database error' },
  WDAV_ERR_NATIVE: { status: 500, message: 'Native call failed' },
  WDAV_ERR_SCANNER: { status: 503, message: 'The scanner process is not available' },
  WDAV_ERR_FANOTIFY_UNAVAILABLE: { status: 503, message: 'fanotify real-time protection is not available on this system' },
  WDAV_ERR_FANOTIFY_MARK: { status: 500, message: 'Could not change a fanotify mark' },
  WDAV_ERR_INTERNAL: { status: 500, message: 'Internal error' },
  WDAV_ERR_DAEMON_RUNNING: { status: 409, message: 'Another wdavdaemon is already serving this socket' },
  WDAV_ERR_DAEMON_UNREACHABLE: { status: 503, message: 'Cannot reach wdavdaemon' },
  WDAV_ERR_UNTRUSTED_PATH: { status: 500, message: 'A file or directory the daemon relies on could be changed by a user other than root or the daemon user' },
  WDAV_ERR_FILE_TOO_LARGE: { status: 422, message: 'The file is larger than the daemon reads' },
  WDAV_ERR_QUARANTINE_UNAUTHENTIC: { status: 422, message: 'The quarantined item failed authentication (forged, modified, or of an older format) and is never restored' },
  WDAV_ERR_STATE_FULL: { status: 507, message: 'The state directory is full: quarantine and records cannot be written' },
  WDAV_ERR_TOO_MANY_CONNECTIONS: { status: 503, message: 'Too many connections to the control socket; try again when some have closed' },
  WDAV_ERR_OUT_OF_FDS: { status: 503, message: 'The daemon is short of file descriptors' },
} as const;

export type ErrorCode = keyof typeof ERRORS;

export class WdavError extends Error {
  readonly code: ErrorCode;
  readonly status: number;
  readonly details?: Record<string, unknown>;

  constructor(code: ErrorCode, message?: string, details?: Record<string, unknown>, options?: { cause?: unknown }) {
    super(message ?? ERRORS[code].message, options);
    this.name = 'WdavError';
    this.code = code;
    this.status = ERRORS[code].status;
    if (details !== undefined) this.details = details;
  }

  toJSON(): { code: ErrorCode; message: string; details?: Record<string, unknown> } {
    return this.details ? { code: this.code, message: this.message, details: this.details } : { code: this.code, message: this.message };
  }
}

export function isWdavError(e: unknown): e is WdavError {
  return e instanceof WdavError;
}

export function isErrorCode(code: unknown): code is ErrorCode {
  return typeof code === 'string' && Object.prototype.hasOwnProperty.call(ERRORS, code);
}

/** A message for any thrown value, for logs. */
export function errorMessage(e: unknown): string {
  if (e instanceof Error) return e.message;
  return String(e);
}
