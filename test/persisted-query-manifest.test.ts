import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generatePersistedQueryManifest } from '@apollo/generate-persisted-query-manifest';
import { describe, expect, it } from 'vitest';
import { loadPersistedQueryManifest } from '../gateway/persisted-queries';

const root = new URL('..', import.meta.url).pathname;

describe('the persisted query manifest', () => {
  it('is what `npm run persisted:manifest` builds from operations/ (run it if this fails)', async () => {
    const config = JSON.parse(
      readFileSync(join(root, 'persisted-query-manifest.config.json'), 'utf8'),
    ) as { documents: string[] };
    const built = await generatePersistedQueryManifest(
      { documents: config.documents.map((glob) => join(root, glob)) },
      join(root, 'persisted-query-manifest.config.json'),
    );
    const committed = JSON.parse(
      readFileSync(join(root, 'persisted-query-manifest.json'), 'utf8'),
    ) as unknown;
    expect(committed).toEqual(built);
  });

  it('loads every operation by its id, the SHA-256 of its body', () => {
    const list = loadPersistedQueryManifest(
      join(root, 'persisted-query-manifest.json'),
    );
    expect([...list.byId.values()].map(({ name }) => name).sort()).toEqual([
      'Employee',
      'Employees',
      'Flagship',
    ]);
  });

  it('stops start-up with a message naming the variable, the file and the fix', () => {
    const directory = mkdtempSync(join(tmpdir(), 'tributary-pq-'));
    const missing = join(directory, 'missing.json');
    expect(() => loadPersistedQueryManifest(missing)).toThrow(
      /^PERSISTED_QUERY_MANIFEST: .*missing\.json cannot be read as JSON.*npm run persisted:manifest/,
    );
    const wrong = join(directory, 'wrong.json');
    writeFileSync(wrong, JSON.stringify({ format: 'other', version: 2 }));
    expect(() => loadPersistedQueryManifest(wrong)).toThrow(
      /expected format "apollo-persisted-query-manifest", version 1; received "other", 2/,
    );
  });
});
