import { loadConfig } from '../lib/config';
import { createLogger } from '../lib/logger';
import { listen } from '../lib/serve';
import { parseFaultSpecs } from './faults';
import { createSandbox } from './server';

// The sandbox providers as their own process.
const config = loadConfig();
const logger = createLogger({ name: 'sandbox' });
const sandbox = createSandbox({
  latencyMs: config.sandboxLatencyMs,
  faults: parseFaultSpecs(config.sandboxFaults),
});
const listening = await listen(sandbox.app, {
  port: config.sandboxPort,
  host: config.host,
});
logger.info({ url: listening.origin }, 'sandbox providers ready');
process.once(
  'SIGINT',
  () => void listening.close().then(() => process.exit(0)),
);
process.once(
  'SIGTERM',
  () => void listening.close().then(() => process.exit(0)),
);
