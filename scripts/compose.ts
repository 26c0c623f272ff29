import { writeFileSync } from 'node:fs';
import { composeSupergraph, SUPERGRAPH_FILE } from '../schema/compose';

// Writes schema/supergraph.graphql; a test fails when the committed file
// differs from what this produces.
writeFileSync(SUPERGRAPH_FILE, composeSupergraph());
console.log(`Wrote ${SUPERGRAPH_FILE.pathname}`);
