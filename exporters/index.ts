export { SessionJsonlExporter, type SessionJsonlExporterOptions } from './SessionJsonlExporter.ts';
