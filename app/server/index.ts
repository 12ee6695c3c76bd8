export { SessionServer } from './SessionServer.ts';
export { SessionManager, type SessionManagerOptions, type CreateSessionRequest, type SessionInfo } from '../session/SessionManager.ts';
export { SessionError } from '../session/SessionError.ts';
