/**
 * `npm run bench`: the gateway and the three subgraphs in this process, the
 * sandbox providers in a child process answering after a fixed added
 * latency, and two queries measured cold
 * (empty provider data cache) and warm (cache filled):
 *
 * - Flagship: `operations/Flagship.graphql` at `employees(first: 50)`;
 * - Reverse: 50 tickets with their assignees' HRIS employees.
 *
 * Warm runs repeat the identical query, which the gateway answers from its
 * whole-response cache; the "data cache only" rows make every warm query
 * unique (an extra `__typename` alias), so they measure planning, the
 * subgraphs and the provider data cache without the response cache.
 *
 * Prints a table (`--json`: JSON) with provider calls per query, what an
 * unbatched resolver would make, p50/p99 cold and warm, warm requests per
 * second, the `{ __typename }` p50 through the gateway and peak RSS, then
 * checks the targets of issue 4. Bounded: a fixed number of runs per
 * measure and a fixed time for the throughput run, loopback only.
 *
 * Options: `--json`, `--latency-ms <n>` (default `SANDBOX_LATENCY_MS` or
 * 25), `--warm-runs <n>` (default 200), `--cold-runs <n>` (default 30),
 * `--sandbox-in-process` (the providers share this process instead of
 * running in their own).
 */
import { readFileSync } from 'node:fs';
import { PerformanceObserver, performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { Agent, request } from 'undici';
import { loadConfig } from '../lib/config';
import { createLogger } from '../lib/logger';
import { startSandboxProcess } from '../sandbox/process';
import type { RecordedRequest } from '../sandbox/types';
import { startSystem } from './system';

const { values: flags } = parseArgs({
  options: {
    json: { type: 'boolean', default: false },
    'latency-ms': { type: 'string' },
    'warm-runs': { type: 'string', default: '200' },
    'cold-runs': { type: 'string', default: '30' },
    'sandbox-in-process': { type: 'boolean', default: false },
  },
});
const latencyMs = Number(
  flags['latency-ms'] ?? process.env.SANDBOX_LATENCY_MS ?? 25,
);
const warmRuns = Number(flags['warm-runs']);
const coldRuns = Number(flags['cold-runs']);
const THROUGHPUT_SECONDS = 3;
const THROUGHPUT_CONCURRENCY = 8;

const FLAGSHIP = readFileSync(
  new URL('../operations/Flagship.graphql', import.meta.url),
  'utf8',
).replace('employees(first: 5)', 'employees(first: 50)');

const REVERSE = `query Reverse {
  tickets(first: 50) {
    edges {
      node {
        id
        name
        assignees {
          id
          email
          employee { id firstName lastName employmentStatus }
        }
      }
    }
  }
}`;

interface QueryResult {
  data?: Record<string, unknown>;
  errors?: unknown[];
}

const config = loadConfig({
  ...process.env,
  NODE_ENV: 'test',
  TRIBUTARY_DB_PATH: ':memory:',
  TRIBUTARY_SANDBOX: '1',
  SANDBOX_LATENCY_MS: String(latencyMs),
  REDIS_URL: '',
  // The benchmark measures the system, not the per-key rate limit it would
  // otherwise hit within seconds.
  RATE_LIMIT_REQUESTS: '1000000000',
});
// The sandbox providers run in a process of their own unless asked
// otherwise: a real provider's work does not share the gateway's CPU.
const sandbox = flags['sandbox-in-process']
  ? undefined
  : await startSandboxProcess({ latencyMs });
const system = await startSystem({
  config,
  logger: createLogger({ name: 'bench', level: 'silent' }),
  anyPorts: true,
  ...(sandbox ? { externalSandboxUrl: sandbox.origin } : {}),
});
const recorder =
  sandbox?.recorder ??
  system.recorder ??
  (() => {
    throw new Error('The benchmark needs the sandbox providers.');
  })();

const headers = {
  'content-type': 'application/json',
  authorization: 'Bearer sk_sandbox_demo',
  'x-account-token': 'acct_acme',
};

// The client shares the system's process: undici's own `request` costs it
// less than `fetch` (no web streams), so the numbers are the system's.
const client = new Agent({ connections: THROUGHPUT_CONCURRENCY });

async function run(query: string): Promise<{ ms: number; body: QueryResult }> {
  const started = performance.now();
  const response = await request(system.gatewayUrl, {
    method: 'POST',
    headers,
    body: JSON.stringify({ query }),
    dispatcher: client,
  });
  const body = (await response.body.json()) as QueryResult;
  const ms = performance.now() - started;
  if (response.statusCode !== 200 || body.errors) {
    throw new Error(
      `query failed (${response.statusCode}): ${JSON.stringify(body.errors)}`,
    );
  }
  return { ms, body };
}

function percentile(samples: number[], p: number): number {
  const sorted = [...samples].sort((a, b) => a - b);
  const index = Math.min(
    sorted.length - 1,
    Math.max(0, Math.ceil((p / 100) * sorted.length) - 1),
  );
  return sorted[index] ?? Number.NaN;
}

/**
 * Sequential waves of provider calls: requests arriving within 80% of the
 * added latency after the wave's first belong to it (a call that depends
 * on another arrives at least one added latency later). Each wave costs
 * one added latency, so `waves × latency` is the least a cold query takes.
 */
function waves(requests: readonly RecordedRequest[]): number {
  const times = requests.map((request) => request.at).sort((a, b) => a - b);
  let count = 0;
  let waveStart = Number.NEGATIVE_INFINITY;
  for (const at of times) {
    if (at - waveStart > Math.max(latencyMs * 0.8, 2)) {
      count += 1;
      waveStart = at;
    }
  }
  return count;
}

interface Measured {
  query: string;
  providerCalls: number;
  repeatCalls: number;
  unbatchedCalls: number;
  waves: number;
  coldP50: number;
  coldP99: number;
  warmP50: number;
  warmP99: number;
  warmRps: number;
  /** The system's main thread busy (event loop not idle), ms per cold run. */
  coldBusyMs: number;
  /** V8 garbage collection pauses, ms per cold run. */
  coldGcMs: number;
}

// GC pauses of this process (the system's), summed as V8 reports them.
let gcPauseMs = 0;
new PerformanceObserver((list) => {
  for (const entry of list.getEntries()) gcPauseMs += entry.duration;
}).observe({ entryTypes: ['gc'] });

/**
 * `query` made unique by an alias, so the gateway's whole-response cache
 * never answers it and only the provider data cache is measured.
 */
let uniqueSerial = 0;
function unique(query: string): string {
  uniqueSerial += 1;
  return query.replace('{', `{ u${uniqueSerial}: __typename `);
}

async function measure(
  name: string,
  query: string,
  unbatched: (body: QueryResult) => number,
  options: { dataCacheOnly?: boolean } = {},
): Promise<Measured> {
  const warmQuery = () => (options.dataCacheOnly ? unique(query) : query);
  // Cold: the provider data cache is emptied before every run.
  const cold: number[] = [];
  let providerCalls = 0;
  let depth = 0;
  let unbatchedCalls = 0;
  let busyMs = 0;
  let gcMs = 0;
  for (let index = 0; index < coldRuns; index += 1) {
    await system.cache.clearMemory();
    recorder.clear();
    const loop = performance.eventLoopUtilization();
    const gcBefore = gcPauseMs;
    const { ms, body } = await run(query);
    busyMs += performance.eventLoopUtilization(loop).active;
    // GC entries are delivered after the pause, on a later turn.
    await new Promise((resolve) => setImmediate(resolve));
    gcMs += gcPauseMs - gcBefore;
    cold.push(ms);
    providerCalls = Math.max(providerCalls, recorder.requests.length);
    depth = Math.max(depth, waves(recorder.requests));
    unbatchedCalls = unbatched(body);
  }

  // Warm: the same query again, the cache filled by the last cold run.
  recorder.clear();
  await run(warmQuery());
  const repeatCalls = recorder.requests.length;
  const warm: number[] = [];
  for (let index = 0; index < warmRuns; index += 1) {
    warm.push((await run(warmQuery())).ms);
  }

  // Throughput: a fixed time at a fixed concurrency.
  let completed = 0;
  const until = performance.now() + THROUGHPUT_SECONDS * 1000;
  await Promise.all(
    Array.from({ length: THROUGHPUT_CONCURRENCY }, async () => {
      while (performance.now() < until) {
        await run(warmQuery());
        completed += 1;
      }
    }),
  );

  return {
    query: name,
    providerCalls,
    repeatCalls,
    unbatchedCalls,
    waves: depth,
    coldP50: percentile(cold, 50),
    coldP99: percentile(cold, 99),
    warmP50: percentile(warm, 50),
    warmP99: percentile(warm, 99),
    warmRps: completed / THROUGHPUT_SECONDS,
    coldBusyMs: busyMs / coldRuns,
    coldGcMs: gcMs / coldRuns,
  };
}

type Edges<T> = { edges: Array<{ node: T }> };

/**
 * An unbatched resolver (one provider call per parent and lookup): the
 * employee page; per employee, a Jira user search and an assignee search,
 * a HubSpot owner lookup and a deals search; the deal pipelines once.
 */
function unbatchedFlagship(body: QueryResult): number {
  const employees = (body.data?.employees as Edges<unknown>).edges.length;
  return 1 + employees * 4 + 1;
}

/**
 * Unbatched: the ticket page, then one HRIS lookup per assignee of each
 * ticket (the employee directory read once per lookup).
 */
function unbatchedReverse(body: QueryResult): number {
  const tickets = (body.data?.tickets as Edges<{ assignees: unknown[] }>).edges;
  return 1 + tickets.reduce((sum, edge) => sum + edge.node.assignees.length, 0);
}

// Warm-up: JIT, connections and query plans, outside every measure.
for (let index = 0; index < 20; index += 1) {
  await run('{ __typename }');
  await run(FLAGSHIP);
  await run(REVERSE);
}

const typename: number[] = [];
for (let index = 0; index < warmRuns; index += 1) {
  typename.push((await run('{ __typename }')).ms);
}
const results = [
  await measure('Flagship (first: 50)', FLAGSHIP, unbatchedFlagship),
  await measure('Reverse join (50 tickets)', REVERSE, unbatchedReverse),
  await measure('Flagship, data cache only', FLAGSHIP, unbatchedFlagship, {
    dataCacheOnly: true,
  }),
  await measure('Reverse, data cache only', REVERSE, unbatchedReverse, {
    dataCacheOnly: true,
  }),
];
const typenameP50 = percentile(typename, 50);
const peakRssMiB = process.resourceUsage().maxRSS / 1024;
await client.close();
await system.stop();
await sandbox?.stop();

const targets = {
  flagshipCallsAtMost8:
    results[0]?.providerCalls !== undefined && results[0].providerCalls <= 8,
  repeatCostsNothing: results.every((result) => result.repeatCalls === 0),
  warmP50AtMost2xTypename: results
    .slice(0, 2)
    .every((result) => result.warmP50 <= 2 * typenameP50),
  coldWithinRoundTrips: results
    .slice(0, 2)
    .every((result) => result.coldP50 <= result.waves * latencyMs + 30),
};

if (flags.json) {
  process.stdout.write(
    `${JSON.stringify(
      {
        latencyMs,
        warmRuns,
        coldRuns,
        typenameP50Ms: typenameP50,
        peakRssMiB,
        results,
        targets,
      },
      null,
      2,
    )}\n`,
  );
} else {
  const f = (value: number) => value.toFixed(1);
  const rows = [
    [
      'query',
      'calls',
      'repeat',
      'unbatched',
      'waves',
      'cold p50',
      'cold p99',
      'warm p50',
      'warm p99',
      'warm rps',
      'cold cpu',
      'cold gc',
    ],
    ...results.map((result) => [
      result.query,
      String(result.providerCalls),
      String(result.repeatCalls),
      String(result.unbatchedCalls),
      String(result.waves),
      f(result.coldP50),
      f(result.coldP99),
      f(result.warmP50),
      f(result.warmP99),
      result.warmRps.toFixed(0),
      f(result.coldBusyMs),
      f(result.coldGcMs),
    ]),
  ];
  const widths = (rows[0] ?? []).map((_, column) =>
    Math.max(...rows.map((row) => row[column]?.length ?? 0)),
  );
  const lines = rows.map((row) =>
    row
      .map((cell, column) =>
        column === 0
          ? cell.padEnd(widths[column] ?? 0)
          : cell.padStart(widths[column] ?? 0),
      )
      .join('  '),
  );
  lines.splice(1, 0, widths.map((width) => '-'.repeat(width)).join('  '));
  const out = [
    `Sandbox latency ${latencyMs} ms per provider call; times in ms; ${coldRuns} cold and ${warmRuns} warm runs; throughput ${THROUGHPUT_SECONDS} s at concurrency ${THROUGHPUT_CONCURRENCY}.`,
    '',
    ...lines,
    '',
    `cold cpu: ms per cold run the system's main thread was busy (the gateway and the three subgraphs${sandbox ? '' : ', and the sandbox providers'}); cold gc: the part of it in garbage collection pauses.`,
    `{ __typename } p50 through the gateway: ${f(typenameP50)} ms`,
    `Peak RSS: ${peakRssMiB.toFixed(0)} MiB`,
    '',
    'Targets:',
    ...Object.entries(targets).map(
      ([name, met]) => `  ${met ? 'met    ' : 'MISSED '} ${name}`,
    ),
    '',
  ];
  process.stdout.write(out.join('\n'));
}
