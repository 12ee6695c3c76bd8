export { SessionLevelProcessor, SessionState, type SessionLevelProcessorOptions, type LevelProcessorStats } from './SessionLevelProcessor.ts';
export type { SessionAwareProcessor, SessionOpenInfo } from './SessionAwareProcessor.ts';
export { SessionFileProcessor, type SessionFileProcessorOptions } from './SessionFileProcessor.ts';
export { OtlpForwardingProcessor, FORWARDING_DEFAULTS, type OtlpForwardingOptions, type ForwardingStats } from './OtlpForwardingProcessor.ts';
export { describeForwardingReport, type ForwardingReport } from './ForwardingReport.ts';
export type { WriterStats } from '../storage/WriterStats.ts';
export type { SessionMetadata, StoredSegment, RemovedRange } from '../format/sessionMetadata.ts';
export { nextChain, splitChainedLine, CHAIN_GENESIS } from '../format/auditChain.ts';
