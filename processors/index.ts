export { SessionLevelProcessor, SessionState, type SessionLevelProcessorOptions, type LevelProcessorStats } from './SessionLevelProcessor.ts';
export type { SessionAwareProcessor, SessionOpenInfo } from './SessionAwareProcessor.ts';
