import { runSubgraph } from '../../lib/subgraph';
import { hrisSubgraph } from './subgraph';

await runSubgraph(hrisSubgraph);
