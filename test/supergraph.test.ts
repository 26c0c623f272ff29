import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { SUPERGRAPH_FILE, composeSupergraph } from '../schema/compose';

describe('schema/supergraph.graphql', () => {
  it('is what `npm run compose` produces from supergraph.yaml (run it if this fails)', () => {
    expect(readFileSync(SUPERGRAPH_FILE, 'utf8')).toBe(composeSupergraph());
  });

  it('routes each subgraph to the URL supergraph.yaml names', () => {
    const sdl = readFileSync(SUPERGRAPH_FILE, 'utf8');
    expect(sdl).toContain(
      'HRIS @join__graph(name: "hris", url: "http://localhost:4001/graphql")',
    );
    expect(sdl).toContain(
      'TICKETING @join__graph(name: "ticketing", url: "http://localhost:4003/graphql")',
    );
  });
});
