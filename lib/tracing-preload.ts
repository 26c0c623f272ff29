/**
 * Preload for processes that may trace: `node --import tsx --import
 * ./lib/tracing-preload.ts <entry>`. Starts tracing when
 * `OTEL_EXPORTER_OTLP_ENDPOINT` is set, before the entry point loads
 * express and http; does nothing otherwise.
 */
import { startTracing } from './tracing';

const endpoint = process.env.OTEL_EXPORTER_OTLP_ENDPOINT;
if (endpoint) {
  const tracing = await startTracing({ endpoint });
  const stop = () => void tracing.shutdown();
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}
