import type { ApiOperation } from '@postwave/platform/runtime';
import { z } from 'zod';

// Describes what MtaController returns (MtaShaping.report); planner.openapi.spec.ts checks the
// output type against the controller's return type.

const Limits = z.object({ maxConnections: z.number().int(), messagesPerHour: z.number().int() });

export const MtaPathSchema = z
  .object({
    site: z.string().describe('The receiving site (an MX rule match)'),
    sourceIp: z.string().describe('The source IP the path sends from, or `shared`'),
    ruleId: z.string().describe('The MX rule the path follows'),
    ...Limits.shape,
    suspended: z.boolean().describe('Whether the path is in a cool-off and sends nothing'),
    suspendedUntil: z.string().nullable().describe('End of the cool-off'),
    cause: z.string().nullable().describe('The reply that caused the last decrease'),
    acceptedStreak: z.number().int().describe('Accepted messages since the last change'),
    nextCoolOffMs: z.number().int().describe('The next cool-off, should the receiver push back again'),
    updatedAt: z.string(),
    activeConnections: z.number().int(),
    ceiling: Limits.nullable().describe("The rule's limits, which the learned ones never exceed"),
    history: z
      .array(
        z.object({
          hour: z.string(),
          accepted: z.number().int(),
          deferred: z.number().int(),
          bounced: z.number().int(),
        }),
      )
      .describe('The last 24 hours, oldest first'),
  })
  .meta({ id: 'MtaPath', description: 'A delivery path (site × source IP) with its live, learned limits' });

export const MtaReportSchema = z
  .object({
    rules: z.array(z.string()).describe('The MX rule ids in force, in matching order'),
    paths: z.array(MtaPathSchema),
  })
  .meta({ id: 'MtaReport' });

/** The MTA's HTTP API: what its traffic shaping learned. */
export const SENDING_OPERATIONS: readonly ApiOperation[] = [
  {
    method: 'get',
    path: '/v1/mta/paths',
    operationId: 'getMtaPaths',
    summary: "The MTA's delivery paths",
    description:
      "Each path's live limits against its rule, suspensions and their causes, and hourly history. " +
      "Limits are learned from the receivers' answers and kept, so the next delivery starts from them.",
    tags: ['mta'],
    responses: { '200': { description: 'The MX rules and the paths in use', schema: MtaReportSchema } },
  },
  {
    method: 'get',
    path: '/metrics',
    operationId: 'getMtaMetrics',
    summary: 'Prometheus metrics of the MTA',
    description:
      'Learned limits and ceilings per path, suspensions, open connections, attempts by outcome, limit ' +
      'changes by direction and the spool by state, in the Prometheus text format (0.0.4).',
    tags: ['mta'],
    responses: {
      '200': {
        description: 'Metrics in the Prometheus text format',
        schema: z.string(),
        contentType: 'text/plain',
      },
    },
  },
];
