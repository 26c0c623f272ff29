import { Histogram } from 'prom-client';
import { registry } from './metrics';

/** Keys per DataLoader batch: 1 everywhere would mean no batching. */
export const loaderBatchSize = new Histogram({
  name: 'tributary_dataloader_batch_size',
  help: 'Keys per DataLoader batch, by loader name.',
  labelNames: ['loader'] as const,
  buckets: [1, 2, 5, 10, 25, 50, 100, 250, 500, 1000],
  registers: [registry],
});
