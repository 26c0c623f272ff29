import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { RequestRecorder, type RecordedRequest } from './types';

/** What the sandbox process (sandbox/main.ts) tells its parent. */
export type SandboxMessage =
  | { type: 'ready'; origin: string }
  | { type: 'recorded'; request: RecordedRequest };

export interface SandboxProcess {
  /** Where the providers answer, e.g. `http://127.0.0.1:40123`. */
  origin: string;
  /** A copy of what the sandbox process recorded, fed over IPC. */
  recorder: RequestRecorder;
  stop(): Promise<void>;
}

export interface SandboxProcessOptions {
  latencyMs: number;
  /** How long the process may take to listen. Default 30 s. */
  startTimeoutMs?: number;
}

/**
 * The sandbox providers in a child process of their own, on a free port:
 * their work no longer shares this process's event loop, the way a real
 * provider's servers do not (`npm run bench` measures the system this way).
 * Requests arrive at the recorder over IPC, before their answers are sent.
 */
export async function startSandboxProcess(
  options: SandboxProcessOptions,
): Promise<SandboxProcess> {
  const recorder = new RequestRecorder();
  // No faults in force: whoever starts it measures the providers as they are.
  const { SANDBOX_FAULTS: _faults, ...env } = process.env;
  const child = fork(fileURLToPath(new URL('./main.ts', import.meta.url)), {
    execArgv: ['--import', 'tsx'],
    env: {
      ...env,
      SANDBOX_PORT: '0',
      SANDBOX_LATENCY_MS: String(options.latencyMs),
      SANDBOX_REPORT_TO_PARENT: '1',
      LOG_LEVEL: 'warn',
    },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const exited = new Promise<void>((resolve) => {
    child.once('exit', () => resolve());
  });
  const origin = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error('The sandbox process did not start in time.'));
    }, options.startTimeoutMs ?? 30_000);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`The sandbox process exited with code ${code}.`));
    });
    child.on('message', (message: SandboxMessage) => {
      if (message.type === 'ready') {
        clearTimeout(timer);
        resolve(message.origin);
      } else {
        recorder.record(message.request);
      }
    });
  });
  return {
    origin,
    recorder,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
      }
      await exited;
    },
  };
}
