import { ApiError, type ApiOperation, type ApiParameter } from '@postwave/platform/runtime';
import { z } from 'zod';

export const UnsubscribedSchema = z.object({ unsubscribed: z.literal(true) }).meta({ id: 'Unsubscribed' });

const token: ApiParameter = {
  name: 'token',
  in: 'path',
  schema: z.string(),
  description: "The signed token of the message's List-Unsubscribe URL",
};

const badToken = { description: 'The token is not a valid unsubscribe link', schema: ApiError };

/**
 * The https List-Unsubscribe target. GET only shows a page whose button makes the POST, so link
 * scanners that follow GETs never unsubscribe anyone.
 */
export const BOUNCE_OPERATIONS: readonly ApiOperation[] = [
  {
    method: 'get',
    path: '/v1/unsubscribe/:token',
    operationId: 'showUnsubscribePage',
    summary: 'The unsubscribe confirmation page',
    description: 'An HTML page whose button POSTs to the same URL; it changes nothing by itself.',
    tags: ['unsubscribe'],
    parameters: [token],
    responses: {
      '200': { description: 'The confirmation page', schema: z.string(), contentType: 'text/html' },
      '404': badToken,
    },
  },
  {
    method: 'post',
    path: '/v1/unsubscribe/:token',
    operationId: 'unsubscribeOneClick',
    summary: 'Unsubscribe (RFC 8058 one-click)',
    description:
      "Records the unsubscription of the message's recipient as an address event, which every later " +
      'analysis honours; repeating it is harmless. A valid token of a message this service does not ' +
      'know answers the same and records nothing.',
    tags: ['unsubscribe'],
    parameters: [token],
    requestBody: {
      required: false,
      contentTypes: ['application/x-www-form-urlencoded'],
      schema: z.object({ 'List-Unsubscribe': z.literal('One-Click').optional() }),
      description: 'Mailbox providers send `List-Unsubscribe=One-Click`; the body is not read',
    },
    responses: {
      '200': { description: 'Unsubscribed', schema: UnsubscribedSchema },
      '404': badToken,
    },
  },
];
