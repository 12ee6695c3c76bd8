/**
 * A refused request to the session manager: an HTTP status, a stable code and a message
 * that says what is allowed. The server sends it as {"error":{"code","message"}}.
 */
export class SessionError extends Error {
  readonly status: number;
  readonly code: string;
  constructor(status: number, code: string, message: string) {
    super(message);
    this.name = 'SessionError';
    this.status = status;
    this.code = code;
  }
}
