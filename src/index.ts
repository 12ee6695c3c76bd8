export { createSessionLogging, SessionLogging, type SessionLoggingOptions, type OpenOptions, type SessionLoggingStats } from './SessionLogging.ts';
export { SessionLogger, type EmitOptions } from './SessionLogger.ts';
export { LEVELS, DEFAULT_LEVEL, type Level, isLevel, parseLevel } from './levels.ts';
export { EVENT_CATALOGUE, EVENT_NAMES, type EventSpec } from './catalogue.ts';
export { ATTR_SESSION_ID, ATTR_TIER, ATTR_CATEGORY, ATTR_SEQ, type Category } from './attributes.ts';
export { resolveSettings, type ConfigOptions, type Settings } from './config/resolveSettings.ts';
export { ConfigError } from './config/loadConfig.ts';
export { parseEnvDirectives } from './config/envDirectives.ts';
export { SESSION_ID_PATTERN, isValidSessionId } from './sessionId.ts';
