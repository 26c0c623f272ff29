/**
 * HubSpot CRM API v3 response shapes, validated at the connector boundary.
 * Only what the mapping reads is required; everything else passes through
 * into `remoteData`.
 *
 * Follows developers.hubspot.com: "Using object APIs" (the object envelope:
 * `id`, `properties` of strings, top-level `createdAt`/`updatedAt`/
 * `archived`, `associations.{type}.results[{ id, type }]`, `paging.next`),
 * CRM API | Search (`total`, `results`, `paging.next.after`), batch read
 * (`status`, `results`, `errors`, `numErrors`), Associations v4 batch read
 * (`results[{ from: { id }, to: [{ toObjectId, associationTypes }] }]`),
 * Owners (`id`, `email`, `firstName`, `lastName`, `userId`, `archived`) and
 * Pipelines (`stages[{ id, label, metadata: { isClosed, probability } }]`).
 */
import { z } from 'zod';

const paging = z
  .object({
    next: z.object({ after: z.string() }).loose().optional(),
  })
  .loose()
  .optional();

export const hubspotObjectSchema = z
  .object({
    id: z.string(),
    // Every property value is a string or null in v3, numbers included.
    properties: z.record(z.string(), z.string().nullable()),
    createdAt: z.string().optional(),
    updatedAt: z.string().optional(),
    archived: z.boolean().optional(),
    associations: z
      .record(
        z.string(),
        z
          .object({
            results: z.array(
              z.object({ id: z.string(), type: z.string() }).loose(),
            ),
          })
          .loose(),
      )
      .optional(),
  })
  .loose();

export type HubspotObject = z.infer<typeof hubspotObjectSchema>;

export const listResponseSchema = z
  .object({ results: z.array(hubspotObjectSchema), paging })
  .loose();

export const searchResponseSchema = z
  .object({
    total: z.number().optional(),
    results: z.array(hubspotObjectSchema),
    paging,
  })
  .loose();

export const batchReadResponseSchema = z
  .object({
    status: z.string().optional(),
    results: z.array(hubspotObjectSchema),
    numErrors: z.number().optional(),
  })
  .loose();

export const associationsBatchResponseSchema = z
  .object({
    results: z.array(
      z
        .object({
          from: z.object({ id: z.union([z.string(), z.number()]) }).loose(),
          to: z.array(
            z.object({ toObjectId: z.union([z.string(), z.number()]) }).loose(),
          ),
          // Present only when the record has more associations.
          paging,
        })
        .loose(),
    ),
  })
  .loose();

export const ownerSchema = z
  .object({
    id: z.string(),
    email: z.string().nullable().optional(),
    firstName: z.string().nullable().optional(),
    lastName: z.string().nullable().optional(),
    userId: z.number().nullable().optional(),
    createdAt: z.string().optional(),
    updatedAt: z.string().optional(),
    archived: z.boolean().optional(),
  })
  .loose();

export type HubspotOwner = z.infer<typeof ownerSchema>;

export const ownersResponseSchema = z
  .object({ results: z.array(ownerSchema), paging })
  .loose();

export const pipelinesResponseSchema = z
  .object({
    results: z.array(
      z
        .object({
          id: z.string(),
          label: z.string().optional(),
          stages: z.array(
            z
              .object({
                id: z.string(),
                label: z.string().optional(),
                // Documented as strings ("true", "0.2"); tolerate JSON types.
                metadata: z
                  .record(
                    z.string(),
                    z.union([z.string(), z.number(), z.boolean(), z.null()]),
                  )
                  .optional(),
              })
              .loose(),
          ),
        })
        .loose(),
    ),
  })
  .loose();

export type HubspotPipelines = z.infer<typeof pipelinesResponseSchema>;

export const credentialsSchema = z.object({
  accessToken: z.string().min(1, 'accessToken must not be empty'),
});
