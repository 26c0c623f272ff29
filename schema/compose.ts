import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { composeServices } from '@apollo/composition';
import { parse } from 'graphql';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';

/** Rover's supergraph.yaml, the parts we use. */
const supergraphConfig = z.object({
  federation_version: z.string(),
  subgraphs: z.record(
    z.string(),
    z.object({
      routing_url: z.url(),
      schema: z.object({ file: z.string().min(1) }),
    }),
  ),
});

export const SUPERGRAPH_CONFIG = new URL('../supergraph.yaml', import.meta.url);
export const SUPERGRAPH_FILE = new URL('./supergraph.graphql', import.meta.url);

const HEADER =
  '# Composed from supergraph.yaml by `npm run compose`. Do not edit by hand.\n';

/**
 * Composes the subgraphs listed in a rover-format supergraph.yaml into the
 * supergraph SDL the gateway serves. Throws with every composition error.
 */
export function composeSupergraph(configUrl: URL = SUPERGRAPH_CONFIG): string {
  const configPath = configUrl.pathname;
  const config = supergraphConfig.parse(
    parseYaml(readFileSync(configPath, 'utf8')),
  );
  const result = composeServices(
    Object.entries(config.subgraphs).map(([name, subgraph]) => ({
      name,
      url: subgraph.routing_url,
      typeDefs: parse(
        readFileSync(
          resolve(dirname(configPath), subgraph.schema.file),
          'utf8',
        ),
      ),
    })),
  );
  if (result.errors) {
    throw new Error(
      `Composition failed:\n${result.errors.map((error) => `  ${error.message}`).join('\n')}`,
    );
  }
  return `${HEADER}${result.supergraphSdl}\n`;
}
