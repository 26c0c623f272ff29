import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { RequestRecorder, type RecordedRequest } from './types';

/** What the sandbox process (sandbox/main.ts) tells its parent. */
export type SandboxMessage =
  | { type: 'ready'; origin: string }
  | { type: 'recorded'; id: number; requests: RecordedRequest[] };

/** What the parent asks of the sandbox process. */
export type ParentMessage = { type: 'flush'; id: number };

export interface SandboxProcess {
  /** Where the providers answer, e.g. `http://127.0.0.1:40123`. */
  origin: string;
  /**
   * A copy of what the sandbox process recorded, as of the last `flush()`.
   */
  recorder: RequestRecorder;
  /**
   * Copies into `recorder` what the process recorded since the last flush
   * (everything it has received by now: a request is recorded when its
   * handler runs, before its answer is sent).
   */
  flush(): Promise<void>;
  stop(): Promise<void>;
}

export interface SandboxProcessOptions {
  latencyMs: number;
  /**
   * Where the process's requests are recorded; default a recorder of its
   * own. Several processes may share one.
   */
  recorder?: RequestRecorder;
  /** How long the process may take to listen. Default 30 s. */
  startTimeoutMs?: number;
}

/**
 * The sandbox providers in a child process of their own, on a free port:
 * their work no longer shares this process's event loop, the way a real
 * provider's servers do not (`npm run bench` measures the system this way).
 * Requests reach the recorder over IPC when `flush()` asks for them, so the
 * IPC traffic never falls inside what is being measured.
 */
export async function startSandboxProcess(
  options: SandboxProcessOptions,
): Promise<SandboxProcess> {
  const recorder = options.recorder ?? new RequestRecorder();
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
  // Flushes waiting for the child's answer, by request id.
  const flushes = new Map<number, () => void>();
  let lastFlushId = 0;
  const exited = new Promise<void>((resolve) => {
    child.once('exit', () => {
      // A flush the child can no longer answer ends with what arrived.
      for (const done of flushes.values()) done();
      flushes.clear();
      resolve();
    });
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
        return;
      }
      for (const request of message.requests) {
        recorder.record(request);
      }
      flushes.get(message.id)?.();
      flushes.delete(message.id);
    });
  });
  return {
    origin,
    recorder,
    flush() {
      lastFlushId += 1;
      const id = lastFlushId;
      return new Promise<void>((resolve, reject) => {
        if (!child.connected) {
          reject(new Error('The sandbox process has exited.'));
          return;
        }
        flushes.set(id, resolve);
        child.send({ type: 'flush', id } satisfies ParentMessage);
      });
    },
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
      }
      await exited;
    },
  };
}
