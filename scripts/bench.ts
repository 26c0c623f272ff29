/**
 * `npm run bench`: the gateway and the three subgraphs in this process, the
 * sandbox providers in child processes answering after a fixed added
 * latency (BambooHR, HubSpot and Jira each in a process of its own, as
 * real providers do not queue behind each other), and two queries
 * measured cold
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
 * second, the `{ __typename }` p50 through the gateway (timed in turn with
 * each row's warm runs), peak RSS and (on Linux) the host's CPU steal time
 * during the measures, then checks the targets of issue 4.
 * Bounded: a fixed number of runs per measure and a fixed time for the
 * throughput run, loopback only.
 *
 * Options: `--json`, `--latency-ms <n>` (default `SANDBOX_LATENCY_MS` or
 * 25), `--warm-runs <n>` (default 200), `--cold-runs <n>` (default 30),
 * `--sandbox-in-process` (the providers share this process instead of
 * running in their own), `--one-sandbox-process` (all providers in one
 * child process), `--timeline` (also runs both queries cold with every
 * HTTP hop of the system timed, and prints where their time goes).
 */
import diagnostics from 'node:diagnostics_channel';
import { readFileSync } from 'node:fs';
import type { IncomingMessage, Server } from 'node:http';
import { PerformanceObserver, performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { Agent, request } from 'undici';
import { loadConfig } from '../lib/config';
import { createLogger } from '../lib/logger';
import { startSandboxProcess } from '../sandbox/process';
import { RequestRecorder, type RecordedRequest } from '../sandbox/types';
import { startSystem } from './system';

const { values: flags } = parseArgs({
  options: {
    json: { type: 'boolean', default: false },
    'latency-ms': { type: 'string' },
    'warm-runs': { type: 'string', default: '200' },
    'cold-runs': { type: 'string', default: '30' },
    'sandbox-in-process': { type: 'boolean', default: false },
    'one-sandbox-process': { type: 'boolean', default: false },
    timeline: { type: 'boolean', default: false },
  },
});
const latencyMs = Number(
  flags['latency-ms'] ?? process.env.SANDBOX_LATENCY_MS ?? 25,
);
const warmRuns = Number(flags['warm-runs']);
const coldRuns = Number(flags['cold-runs']);
const THROUGHPUT_SECONDS = 3;
const WARM_UP_RUNS = 200;
const TYPENAME = '{ __typename }';
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
// The sandbox providers run in processes of their own unless asked
// otherwise: a real provider's work does not share the gateway's CPU. The
// flagship's three providers get one each, so that a HubSpot call does not
// wait while the same event loop renders a Jira search (as it would in one
// process: 3-8 ms of a cold flagship); the rest share the first.
const OWN_PROCESS_PROVIDERS = ['bamboohr', 'hubspot', 'jira'] as const;
const sandboxRecorder = new RequestRecorder();
const sandbox = flags['sandbox-in-process']
  ? undefined
  : await startSandboxProcess({ latencyMs, recorder: sandboxRecorder });
const providerSandboxes =
  sandbox && !flags['one-sandbox-process']
    ? await Promise.all(
        OWN_PROCESS_PROVIDERS.map(async (provider) => ({
          provider,
          process: await startSandboxProcess({
            latencyMs,
            recorder: sandboxRecorder,
          }),
        })),
      )
    : [];
const system = await startSystem({
  config,
  logger: createLogger({ name: 'bench', level: 'silent' }),
  anyPorts: true,
  ...(sandbox ? { externalSandboxUrl: sandbox.origin } : {}),
  externalProviderUrls: Object.fromEntries(
    providerSandboxes.map(({ provider, process }) => [
      provider,
      process.origin,
    ]),
  ),
});
const recorder =
  (sandbox ? sandboxRecorder : system.recorder) ??
  (() => {
    throw new Error('The benchmark needs the sandbox providers.');
  })();
/** Brings every sandbox process's records into `recorder`, after a run. */
async function collectRecords(): Promise<void> {
  await Promise.all(
    [sandbox, ...providerSandboxes.map(({ process }) => process)].map((child) =>
      child?.flush(),
    ),
  );
}

const headers = {
  'content-type': 'application/json',
  authorization: 'Bearer sk_sandbox_demo',
  'x-account-token': 'acct_acme',
};

// The client shares the system's process: undici's own `request` costs it
// less than `fetch` (no web streams), so the numbers are the system's.
const client = new Agent({ connections: THROUGHPUT_CONCURRENCY });

/**
 * One query; `ms` runs from sending it to having the whole answer, so the
 * client's own JSON work (it shares the system's process) is left out.
 */
async function run(query: string): Promise<{ ms: number; body: QueryResult }> {
  const payload = JSON.stringify({ query });
  const started = performance.now();
  const response = await request(system.gatewayUrl, {
    method: 'POST',
    headers,
    body: payload,
    dispatcher: client,
  });
  const text = await response.body.text();
  const ms = performance.now() - started;
  const body = JSON.parse(text) as QueryResult;
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
  /**
   * `{ __typename }` through the gateway, p50, timed in turn with the warm
   * runs (one before each), so both see the same machine state.
   */
  typenameP50: number;
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
    await collectRecords();
    recorder.clear();
    const loop = performance.eventLoopUtilization();
    const gcBefore = gcPauseMs;
    const { ms, body } = await run(query);
    busyMs += performance.eventLoopUtilization(loop).active;
    // GC entries are delivered after the pause, on a later turn.
    await new Promise((resolve) => setImmediate(resolve));
    gcMs += gcPauseMs - gcBefore;
    cold.push(ms);
    await collectRecords();
    providerCalls = Math.max(providerCalls, recorder.requests.length);
    depth = Math.max(depth, waves(recorder.requests));
    unbatchedCalls = unbatched(body);
  }

  // Warm: the same query again, the cache filled by the last cold run.
  await collectRecords();
  recorder.clear();
  await run(warmQuery());
  await collectRecords();
  const repeatCalls = recorder.requests.length;
  const warm: number[] = [];
  const typename: number[] = [];
  for (let index = 0; index < warmRuns; index += 1) {
    typename.push((await run(TYPENAME)).ms);
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
    typenameP50: percentile(typename, 50),
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

/** One hop event of a cold query: its median time after the client's send. */
interface TimelineEvent {
  event: string;
  ms: number;
}

/**
 * The cold `query`'s HTTP hops, timed `runs` times through Node's
 * diagnostics channels: when each server of the system (gateway, subgraphs)
 * received a request and finished its answer, when each of its client calls
 * (to a subgraph, to a provider) was created and when its answer's headers
 * arrived. Events are named by server or provider path (query strings
 * dropped), repeats numbered `#2`…, and reported as medians in ms after
 * the client sent the query, sorted by time: the critical path and what
 * lies on it. The provider side is not timed (it runs in its own process):
 * `send` to `answer` of a provider call is its whole round trip.
 */
async function timeline(query: string, runs: number): Promise<TimelineEvent[]> {
  // Provider calls are named by their path (''), the system's servers by
  // their name.
  const names = new Map<string, string>([
    [new URL(system.gatewayUrl).port, 'gateway'],
  ]);
  for (const origin of [
    sandbox?.origin ?? system.sandboxUrl,
    ...providerSandboxes.map(({ process }) => process.origin),
  ]) {
    if (origin) names.set(new URL(origin).port, '');
  }
  for (const [category, url] of Object.entries(system.subgraphUrls)) {
    names.set(new URL(url).port, category);
  }
  const target = (origin: string, path: string) => {
    const name = names.get(new URL(origin).port) ?? 'other';
    return name === '' ? (path.split('?')[0] ?? path) : name;
  };
  const serverName = (server: Server) => {
    const address = server.address();
    const port = typeof address === 'object' && address ? address.port : 0;
    return names.get(String(port)) ?? 'other';
  };
  let events: Array<[number, string]> = [];
  const note = (event: string) => events.push([performance.now(), event]);
  type ClientEvent = { request: { origin: string; path: string } };
  type ServerEvent = { server: Server; request: IncomingMessage };
  const onClient = (label: string) => (message: unknown) => {
    const { request } = message as ClientEvent;
    note(`${label.padEnd(8)}${target(request.origin, request.path)}`);
  };
  const onServer = (label: string) => (message: unknown) => {
    const name = serverName((message as ServerEvent).server);
    if (name !== 'other') note(`${label.padEnd(8)}${name}`);
  };
  const channels: Array<[string, (message: unknown) => void]> = [
    ['undici:request:create', onClient('send')],
    ['undici:request:headers', onClient('answer')],
    ['http.server.request.start', onServer('in')],
    ['http.server.response.finish', onServer('out')],
  ];
  const samples = new Map<string, number[]>();
  for (const [name, listener] of channels) {
    diagnostics.subscribe(name, listener);
  }
  try {
    for (let index = 0; index < runs; index += 1) {
      await system.cache.clearMemory();
      events = [];
      const started = performance.now();
      const { ms } = await run(query);
      const seen = new Map<string, number>();
      for (const [at, event] of [
        ...events,
        [started + ms, 'client  done'] as const,
      ]) {
        const count = (seen.get(event) ?? 0) + 1;
        seen.set(event, count);
        const key = count === 1 ? event : `${event} #${count}`;
        samples.set(key, [...(samples.get(key) ?? []), at - started]);
      }
    }
  } finally {
    for (const [name, listener] of channels) {
      diagnostics.unsubscribe(name, listener);
    }
  }
  return [...samples]
    .map(([event, times]) => ({ event, ms: percentile(times, 50) }))
    .sort((a, b) => a.ms - b.ms);
}

/**
 * The host's CPU time counters from `/proc/stat` (Linux), or undefined
 * elsewhere: `steal` is the time a virtual machine's CPUs were ready to
 * run but the hypervisor ran something else, the noise that a latency
 * measured on a shared host cannot remove.
 */
function cpuTimes(): { steal: number; total: number } | undefined {
  try {
    const line = readFileSync('/proc/stat', 'utf8').split('\n')[0] ?? '';
    const ticks = line.trim().split(/\s+/).slice(1, 9).map(Number);
    if (ticks.length < 8 || ticks.some((tick) => !Number.isFinite(tick))) {
      return undefined;
    }
    return {
      steal: ticks[7] ?? 0,
      total: ticks.reduce((sum, tick) => sum + tick, 0),
    };
  } catch {
    return undefined;
  }
}

/** The share of the host's CPU time stolen since `before`, in percent. */
function stealSince(before: ReturnType<typeof cpuTimes>): number | undefined {
  const after = cpuTimes();
  if (!before || !after || after.total <= before.total) return undefined;
  return (100 * (after.steal - before.steal)) / (after.total - before.total);
}

// Warm-up: JIT, connections and query plans, outside every measure. Half
// the runs start from an empty data cache, so the code that calls, parses
// and maps provider answers is as warm as in a server that has been up a
// while; with cached runs only, it ran once before the cold measures and the
// first of them timed V8 still compiling it (about 15 ms of the flagship).
for (let index = 0; index < WARM_UP_RUNS; index += 1) {
  await run(TYPENAME);
  if (index % 2 === 0) await system.cache.clearMemory();
  await run(FLAGSHIP);
  if (index % 2 === 0) await system.cache.clearMemory();
  await run(REVERSE);
}

const stealBefore = cpuTimes();
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
const timelines = flags.timeline
  ? {
      flagship: await timeline(FLAGSHIP, coldRuns),
      reverse: await timeline(REVERSE, coldRuns),
    }
  : undefined;
const typenameP50 = percentile(
  results.map((result) => result.typenameP50),
  50,
);
const stealPercent = stealSince(stealBefore);
const peakRssMiB = process.resourceUsage().maxRSS / 1024;
await client.close();
await system.stop();
await sandbox?.stop();
for (const { process } of providerSandboxes) {
  await process.stop();
}

const targets = {
  flagshipCallsAtMost8:
    results[0]?.providerCalls !== undefined && results[0].providerCalls <= 8,
  repeatCostsNothing: results.every((result) => result.repeatCalls === 0),
  warmP50AtMost2xTypename: results
    .slice(0, 2)
    .every((result) => result.warmP50 <= 2 * result.typenameP50),
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
        stealPercent: stealPercent ?? null,
        results,
        targets,
        ...(timelines ? { timelines } : {}),
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
      'typename',
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
      f(result.typenameP50),
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
    `typename: p50 of { __typename } through the gateway, timed in turn with that row's warm runs (median of the rows: ${f(typenameP50)} ms).`,
    `Peak RSS: ${peakRssMiB.toFixed(0)} MiB`,
    ...(stealPercent === undefined
      ? []
      : [
          `CPU steal during the measures: ${stealPercent.toFixed(1)}% (time the host gave this machine's CPUs to others, which lengthens runs and their spread).`,
        ]),
    '',
    'Targets:',
    ...Object.entries(targets).map(
      ([name, met]) => `  ${met ? 'met    ' : 'MISSED '} ${name}`,
    ),
    '',
    ...Object.entries(timelines ?? {}).flatMap(([name, events]) => [
      `Cold ${name}, hop by hop (median ms after the client's send, ${coldRuns} runs):`,
      ...events.map(({ event, ms }) => `  ${f(ms).padStart(7)}  ${event}`),
      '',
    ]),
  ];
  process.stdout.write(out.join('\n'));
}
