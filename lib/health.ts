import type { RequestHandler } from 'express';

/** One readiness check: resolves true when the dependency can serve. */
export type ReadinessCheck = () => Promise<boolean>;

/** Longest a readiness check may take before it counts as down, in ms. */
const CHECK_TIMEOUT_MS = 2_000;

async function run(check: ReadinessCheck): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      check(),
      new Promise<boolean>((resolve) => {
        timer = setTimeout(() => resolve(false), CHECK_TIMEOUT_MS);
      }),
    ]);
  } catch {
    return false;
  } finally {
    clearTimeout(timer);
  }
}

/**
 * `GET /ready`: 200 `{ status: 'ready', checks }` when every check passes,
 * 503 `{ status: 'unavailable', checks }` otherwise, each check named
 * `up` or `down`. Checks run in parallel, each bounded by 2 s, so a hung
 * dependency makes the answer slow by at most that.
 */
export function readinessHandler(
  checks: Record<string, ReadinessCheck>,
): RequestHandler {
  return async (_request, response) => {
    const names = Object.keys(checks);
    const results = await Promise.all(
      names.map((name) => run(checks[name] as ReadinessCheck)),
    );
    const report = Object.fromEntries(
      names.map((name, index) => [name, results[index] ? 'up' : 'down']),
    );
    const ready = results.every(Boolean);
    response
      .status(ready ? 200 : 503)
      .json({ status: ready ? 'ready' : 'unavailable', checks: report });
  };
}
