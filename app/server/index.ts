export { SessionServer, type SessionServerOptions, type OrphanReport } from './SessionServer.ts';
export { readServerConfig, serverConfigFromTable, type ServerConfig, type OrphanPolicy } from './serverConfig.ts';
export { SessionManager, type SessionManagerOptions, type CreateSessionRequest, type SessionInfo } from '../session/SessionManager.ts';
export { SessionError } from '../session/SessionError.ts';
