import type { Logger } from './logger';

export interface Tracing {
  /** Exports the spans buffered so far. */
  flush(): Promise<void>;
  /** Exports the spans still buffered and stops tracing. */
  shutdown(): Promise<void>;
}

export interface TracingOptions {
  /** OTLP/HTTP collector base URL; traces go to `<endpoint>/v1/traces`. */
  endpoint: string;
  /** `service.name` of the spans; default `OTEL_SERVICE_NAME` or `tributary`. */
  serviceName?: string;
  logger?: Logger;
}

/**
 * Starts OpenTelemetry tracing: spans for incoming and outgoing HTTP
 * (client → gateway → subgraph, node's http module) and for provider calls
 * (undici), exported over OTLP/HTTP, with W3C trace context
 * (`traceparent`, `tracestate`) read from every request and sent on every
 * call. Off unless started: the SDK is only loaded here, so a process
 * without `OTEL_EXPORTER_OTLP_ENDPOINT` pays nothing for it.
 *
 * Must run before express and the http module are first loaded (see
 * lib/tracing-preload.ts) so that their calls are instrumented.
 */
export async function startTracing(options: TracingOptions): Promise<Tracing> {
  const [
    { NodeSDK, tracing },
    { OTLPTraceExporter },
    { HttpInstrumentation },
    { UndiciInstrumentation },
  ] = await Promise.all([
    import('@opentelemetry/sdk-node'),
    import('@opentelemetry/exporter-trace-otlp-http'),
    import('@opentelemetry/instrumentation-http'),
    import('@opentelemetry/instrumentation-undici'),
  ]);
  const processor = new tracing.BatchSpanProcessor(
    new OTLPTraceExporter({
      url: `${options.endpoint.replace(/\/+$/, '')}/v1/traces`,
    }),
  );
  const sdk = new NodeSDK({
    serviceName:
      options.serviceName ?? process.env.OTEL_SERVICE_NAME ?? 'tributary',
    spanProcessors: [processor],
    // Traces only: metrics are Prometheus (GET /metrics), logs are pino.
    metricReaders: [],
    logRecordProcessors: [],
    instrumentations: [
      new HttpInstrumentation({
        // Health probes and metric scrapes would drown the real traffic.
        ignoreIncomingRequestHook: (request) =>
          /^\/(health|ready|metrics)\b/.test(request.url ?? ''),
      }),
      new UndiciInstrumentation(),
    ],
  });
  sdk.start();
  options.logger?.info({ endpoint: options.endpoint }, 'tracing on');
  return {
    flush: () => processor.forceFlush(),
    shutdown: () => sdk.shutdown(),
  };
}
