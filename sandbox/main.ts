import { loadConfig } from '../lib/config';
import { createLogger } from '../lib/logger';
import { listen } from '../lib/serve';
import { parseFaultSpecs } from './faults';
import type { ParentMessage, SandboxMessage } from './process';
import { createSandbox } from './server';
import { RequestRecorder } from './types';

// The sandbox providers as their own process. Started by sandbox/process.ts
// (an IPC channel and `SANDBOX_REPORT_TO_PARENT=1`), it tells the parent
// where it listens, and hands over what it recorded when the parent asks:
// never while a request is in flight, so the parent's process is not woken
// for a record just before each answer.
const config = loadConfig();
const logger = createLogger({ name: 'sandbox' });
const send =
  process.env.SANDBOX_REPORT_TO_PARENT === '1'
    ? process.send?.bind(process)
    : undefined;
const recorder = new RequestRecorder();
const sandbox = createSandbox({
  latencyMs: config.sandboxLatencyMs,
  faults: parseFaultSpecs(config.sandboxFaults),
  recorder,
});
process.on('message', (message: ParentMessage) => {
  if (message.type === 'flush') {
    send?.({
      type: 'recorded',
      id: message.id,
      requests: recorder.requests.splice(0),
    } satisfies SandboxMessage);
  }
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
