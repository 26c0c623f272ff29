import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { context } from '@opentelemetry/api';
import { suppressTracing } from '@opentelemetry/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTracing, type Tracing } from '../lib/tracing';
import type * as SystemSupport from './support/system';

// The system is imported only after tracing starts, so that express and
// the http module are instrumented as the preload does in production.
type SystemModule = typeof SystemSupport;

interface OtlpSpan {
  traceId: string;
  parentSpanId?: string;
  name: string;
  kind: number;
}

const received: OtlpSpan[] = [];
let collector: Server;
let collectorUrl: string;
let tracing: Tracing;
let support: SystemModule;
let system: Awaited<ReturnType<SystemModule['startTestSystem']>>;

beforeAll(async () => {
  // A stand-in OTLP/HTTP collector that keeps the spans it is sent.
  collector = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as {
        resourceSpans?: Array<{
          scopeSpans?: Array<{ spans?: OtlpSpan[] }>;
        }>;
      };
      for (const resource of body.resourceSpans ?? []) {
        for (const scope of resource.scopeSpans ?? []) {
          received.push(...(scope.spans ?? []));
        }
      }
      response.writeHead(200, { 'content-type': 'application/json' });
      response.end('{}');
    });
  });
  await new Promise<void>((resolve) =>
    collector.listen(0, '127.0.0.1', resolve),
  );
  collectorUrl = `http://127.0.0.1:${(collector.address() as AddressInfo).port}`;
  tracing = await startTracing({ endpoint: collectorUrl });
  support = await import('./support/system');
  system = await support.startTestSystem();
});

afterAll(async () => {
  await system?.stop();
  await tracing?.shutdown();
  collector?.closeAllConnections();
  await new Promise((resolve) => collector?.close(resolve));
});

function hex(id: string): string {
  return /^[0-9a-f]+$/i.test(id)
    ? id.toLowerCase()
    : Buffer.from(id, 'base64').toString('hex');
}

describe('tracing, when an OTLP endpoint is configured', () => {
  it('continues the client’s W3C trace through the gateway and the subgraphs to the providers', async () => {
    const traceId = '4bf92f3577b34da6a3ce929d0e0e4736';
    // The test's own fetch is instrumented too: suppressed, it sends the
    // traceparent below as an outside client would, instead of its own.
    const response = await context.with(suppressTracing(context.active()), () =>
      support.graphql(
        system.gatewayUrl,
        '{ employees(first: 1) { edges { node { id ownedOpportunities(first: 1) { edges { node { id } } } } } } }',
        {
          ...support.SANDBOX,
          headers: { traceparent: `00-${traceId}-00f067aa0ba902b7-01` },
        },
      ),
    );
    expect(response.errors).toBeUndefined();
    await tracing.flush();

    const ours = received.filter((span) => hex(span.traceId) === traceId);
    const servers = ours.filter((span) => span.kind === 2);
    const clients = ours.filter((span) => span.kind === 3);
    // The gateway's and at least the HRIS and CRM subgraphs' requests.
    expect(servers.length).toBeGreaterThanOrEqual(3);
    // Gateway → subgraph calls and subgraph → provider calls.
    expect(clients.length).toBeGreaterThanOrEqual(4);
    expect(received.filter((span) => hex(span.traceId) !== traceId)).toEqual(
      [],
    );
  });
});
