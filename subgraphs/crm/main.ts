import { runSubgraph } from '../../lib/subgraph';
import { crmSubgraph } from './subgraph';

await runSubgraph(crmSubgraph);
