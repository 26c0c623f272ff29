import { loadConfig } from '../lib/config';
import { createLogger } from '../lib/logger';
import { startSystem } from './system';

// `npm start`: the whole system in one process for development.
const config = loadConfig();
const logger = createLogger({
  name: 'tributary',
  ...(config.logLevel ? { level: config.logLevel } : {}),
});
const system = await startSystem({ config, logger });
// Counted from process start, module loading included: what a user waits.
const seconds = process.uptime().toFixed(1);

const lines = [
  '',
  `Tributary is running (started in ${seconds} s).`,
  '',
  `  Gateway       ${system.gatewayUrl}   (${
    config.nodeEnv === 'production'
      ? 'production landing page'
      : 'Apollo Sandbox in a browser'
  })`,
  `  HRIS          ${system.subgraphUrls.hris}`,
  `  CRM           ${system.subgraphUrls.crm}`,
  `  Ticketing     ${system.subgraphUrls.ticketing}`,
];
if (system.sandboxUrl) {
  lines.push(
    `  Sandbox       ${system.sandboxUrl}   (nine providers)`,
    '',
    '  Sandbox credentials:',
    '    API key         sk_sandbox_demo',
    '    Account tokens  acct_acme     (BambooHR, HubSpot, Jira)',
    '                    acct_globex   (HiBob, Salesforce, Zendesk)',
    '                    acct_initech  (Personio, Pipedrive, Linear)',
    '',
    '  Try it:',
    `    curl -s ${system.gatewayUrl} \\`,
    "      -H 'Authorization: Bearer sk_sandbox_demo' \\",
    "      -H 'X-Account-Token: acct_acme' \\",
    "      -H 'Content-Type: application/json' \\",
    `      -d '{"query":"{ employees(first: 3) { edges { node { displayName workEmail } } } }"}'`,
  );
} else {
  lines.push('', '  The sandbox is off (TRIBUTARY_SANDBOX=0 or production).');
}
console.log(lines.join('\n'));

const shutdown = async () => {
  await system.stop();
  process.exit(0);
};
process.once('SIGINT', () => void shutdown());
process.once('SIGTERM', () => void shutdown());
