import { describe, expect, it } from 'vitest';
import { RequestRecorder, type RecordedRequest } from '../sandbox/types';

const call = (n: number): RecordedRequest => ({
  provider: 'bamboohr',
  method: 'GET',
  path: `/v1/employees/${n}`,
  query: {},
  body: null,
  at: n,
});

describe('the sandbox request recorder', () => {
  it('keeps every request up to its bound, in order', () => {
    const recorder = new RequestRecorder(10);
    for (let n = 1; n <= 10; n += 1) recorder.record(call(n));
    expect(recorder.requests.map((request) => request.at)).toEqual([
      1, 2, 3, 4, 5, 6, 7, 8, 9, 10,
    ]);
  });

  it('forgets the oldest requests past its bound, so a long-running sandbox does not grow without limit', () => {
    const recorder = new RequestRecorder(10);
    for (let n = 1; n <= 1_000; n += 1) recorder.record(call(n));
    expect(recorder.requests.length).toBeLessThanOrEqual(10);
    // The newest are the ones kept, oldest first.
    expect(recorder.requests.at(-1)?.at).toBe(1_000);
    const kept = recorder.requests.map((request) => request.at);
    expect(kept).toEqual([...kept].sort((a, b) => a - b));
    expect(kept[0]).toBe(1_000 - kept.length + 1);
  });
});
