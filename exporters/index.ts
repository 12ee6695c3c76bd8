export { SessionFileProcessor, type SessionFileProcessorOptions } from './SessionFileProcessor.ts';
export { SessionJsonlExporter } from './SessionJsonlExporter.ts';
export type { WriterStats } from './WriterStats.ts';
export type { SessionMetadata, StoredSegment, RemovedRange } from './SessionMetadata.ts';
export { nextChain, splitChainedLine, CHAIN_GENESIS } from './AuditChain.ts';
export { OtlpForwardingProcessor, type OtlpForwardingOptions, type ForwardingStats } from './OtlpForwardingProcessor.ts';
