import { runSubgraph } from '../../lib/subgraph';
import { ticketingSubgraph } from './subgraph';

await runSubgraph(ticketingSubgraph);
