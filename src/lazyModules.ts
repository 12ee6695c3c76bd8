import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

/**
 * Packages that only some pipelines need, loaded on first use instead of when the library
 * is imported. The OTel SDK (sdk-logs, resources, core and the semantic conventions it
 * pulls in) adds ~16 MiB of RSS to a process and re2js ~2 MiB; when the files are the only
 * destination no SDK record is built and neither is needed (docs/performance.md, Memory).
 *
 * Loading is synchronous (the facade's constructor is) through require() of the package's
 * ES module entry, so the instance is the one an `import` of it anywhere else gets: one
 * copy of each package, never an ESM and a CommonJS twin.
 */
const require = createRequire(import.meta.url);

function lazy<T>(name: string): () => T {
  let loaded: T | undefined;
  return () => (loaded ??= require(fileURLToPath(import.meta.resolve(name))) as T);
}

export const otelSdkLogs = lazy<typeof import('@opentelemetry/sdk-logs')>('@opentelemetry/sdk-logs');
export const otelResources = lazy<typeof import('@opentelemetry/resources')>('@opentelemetry/resources');
export const otelCore = lazy<typeof import('@opentelemetry/core')>('@opentelemetry/core');
export const re2js = lazy<typeof import('re2js')>('re2js');
