import { loadConfig } from '../lib/config';
import { createLogger } from '../lib/logger';
import { listen } from '../lib/serve';
import { parseFaultSpecs } from './faults';
import type { SandboxMessage } from './process';
import { createSandbox } from './server';
import { RequestRecorder } from './types';

// The sandbox providers as their own process. Started by sandbox/process.ts
// (an IPC channel and `SANDBOX_REPORT_TO_PARENT=1`), it tells the parent
// where it listens and forwards every request it records.
const config = loadConfig();
const logger = createLogger({ name: 'sandbox' });
const send =
  process.env.SANDBOX_REPORT_TO_PARENT === '1'
    ? process.send?.bind(process)
    : undefined;
const sandbox = createSandbox({
  latencyMs: config.sandboxLatencyMs,
  faults: parseFaultSpecs(config.sandboxFaults),
  ...(send
    ? {
        recorder: new RequestRecorder((request) => {
          send({ type: 'recorded', request } satisfies SandboxMessage);
        }),
      }
    : {}),
});
const listening = await listen(sandbox.app, {
  port: config.sandboxPort,
  host: config.host,
});
logger.info({ url: listening.origin }, 'sandbox providers ready');
send?.({ type: 'ready', origin: listening.origin } satisfies SandboxMessage);

const stop = () => void listening.close().then(() => process.exit(0));
process.once('SIGINT', stop);
process.once('SIGTERM', stop);
// A parent that goes away takes its sandbox with it.
if (send) {
  process.once('disconnect', stop);
}
