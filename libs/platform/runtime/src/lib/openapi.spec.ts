import type { INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { z } from 'zod';
import { ApiError, buildOpenApi, openApiController, type ApiOperation } from './openapi';

const Address = z.object({ city: z.string(), country: z.string().length(2).default('SE') });

const Delivery = z.object({
  deliveryId: z.string(),
  to: z.email(),
  status: z.enum(['planned', 'sent', 'bounced']),
  address: Address.optional(),
});

const CreateDelivery = z.object({
  to: z.email(),
  priority: z.number().int().min(0).max(9).default(5),
  address: Address.optional(),
});

const info = { title: 'Postwave', version: '1.2.3' };

const operations: ApiOperation[] = [
  {
    method: 'get',
    path: '/v1/deliveries/:deliveryId',
    operationId: 'getDelivery',
    summary: 'One delivery',
    tags: ['deliveries'],
    responses: {
      '200': { description: 'The delivery', schema: Delivery },
      '404': { description: 'No such delivery', schema: ApiError },
    },
  },
  {
    method: 'get',
    path: '/v1/deliveries',
    operationId: 'listDeliveries',
    summary: 'Deliveries, newest first',
    parameters: [
      { name: 'limit', in: 'query', schema: z.coerce.number().int().min(1).max(500).default(50) },
      {
        name: 'status',
        in: 'query',
        schema: z.enum(['planned', 'sent', 'bounced']),
        description: 'Only these',
      },
      { name: 'x-tenant', in: 'header', required: true },
    ],
    responses: {
      '200': {
        description: 'A page',
        schema: z.object({ items: z.array(Delivery), next: z.string().nullable() }),
      },
      '400': { description: 'A bad query', schema: ApiError },
    },
  },
  {
    method: 'post',
    path: '/v1/deliveries',
    operationId: 'createDelivery',
    summary: 'Plan a delivery',
    description: 'The priority defaults to 5.',
    requestBody: { schema: CreateDelivery, description: 'What to send' },
    responses: {
      '201': { description: 'Planned', schema: Delivery },
      '400': { description: 'A contract violation', schema: ApiError },
    },
  },
  {
    method: 'post',
    path: '/v1/campaigns/:campaignId/recipients/:listId',
    operationId: 'importRecipients',
    summary: 'Import recipients from CSV',
    parameters: [{ name: 'listId', in: 'path', schema: z.uuid(), description: 'The list to add to' }],
    requestBody: { schema: z.string(), contentTypes: ['text/csv'] },
    responses: {
      '202': { description: 'Accepted; imported in the background' },
      '4XX': { description: 'Refused', schema: ApiError },
    },
  },
];

const document = buildOpenApi(info, operations, {
  servers: [{ url: 'http://127.0.0.1:8080' }],
  components: { Delivery, Address },
});

type Json = Record<string, unknown>;

function at(value: unknown, ...keys: string[]): Json {
  let node = value;
  for (const key of keys) {
    if (node === null || typeof node !== 'object' || !(key in node)) {
      throw new Error(`no "${key}" in ${JSON.stringify(node)}`);
    }
    node = (node as Json)[key];
  }
  return node as Json;
}

function refs(value: unknown): string[] {
  if (Array.isArray(value)) return value.flatMap(refs);
  if (value === null || typeof value !== 'object') return [];
  return Object.entries(value).flatMap(([key, item]) =>
    key === '$ref' && typeof item === 'string' ? [item] : refs(item),
  );
}

function keysIn(value: unknown): string[] {
  if (Array.isArray(value)) return value.flatMap(keysIn);
  if (value === null || typeof value !== 'object') return [];
  return Object.entries(value).flatMap(([key, item]) => [key, ...keysIn(item)]);
}

/** What an OpenAPI 3.1 reader relies on; returns the problems found. */
function structuralProblems(doc: Json): string[] {
  const problems: string[] = [];
  if (doc['openapi'] !== '3.1.0') problems.push(`openapi is ${String(doc['openapi'])}`);
  const schemas = (doc['components'] as { schemas?: Json } | undefined)?.schemas ?? {};
  for (const ref of refs(doc)) {
    const name = ref.replace('#/components/schemas/', '');
    if (!ref.startsWith('#/components/schemas/') || !(name in schemas)) problems.push(`dangling $ref ${ref}`);
  }
  for (const key of ['$schema', '$defs', 'definitions']) {
    if (keysIn(doc).includes(key)) problems.push(`${key} is embedded`);
  }
  const operationIds = new Set<string>();
  for (const [path, item] of Object.entries(doc['paths'] as Record<string, Record<string, Json>>)) {
    const templated = [...path.matchAll(/\{([^}]+)\}/g)].map((match) => match[1]);
    for (const [method, operation] of Object.entries(item)) {
      const where = `${method} ${path}`;
      const id = operation['operationId'] as string;
      if (operationIds.has(id)) problems.push(`${where}: operationId ${id} reused`);
      operationIds.add(id);
      const params = (operation['parameters'] ?? []) as Json[];
      const declared = params.filter((param) => param['in'] === 'path');
      for (const name of templated) {
        const param = declared.find((candidate) => candidate['name'] === name);
        if (param === undefined) problems.push(`${where}: path parameter ${name} undeclared`);
        else if (param['required'] !== true) problems.push(`${where}: path parameter ${name} not required`);
      }
      for (const param of declared) {
        if (!templated.includes(param['name'] as string))
          problems.push(`${where}: ${param['name']} not in path`);
      }
      for (const param of params) {
        if (!('schema' in param)) problems.push(`${where}: parameter ${param['name']} has no schema`);
      }
      const responses = Object.keys((operation['responses'] ?? {}) as Json);
      if (responses.length === 0) problems.push(`${where}: no responses`);
      for (const status of responses) {
        if (typeof at(operation, 'responses', status)['description'] !== 'string') {
          problems.push(`${where}: response ${status} has no description`);
        }
      }
    }
  }
  return problems;
}

function operation(path: string, method: string): Json {
  return at(document, 'paths', path, method);
}

function parameter(op: Json, name: string): Json {
  const found = (op['parameters'] as Json[]).find((param) => param['name'] === name);
  if (found === undefined) throw new Error(`no parameter ${name}`);
  return found;
}

describe('buildOpenApi', () => {
  it('builds a structurally sound OpenAPI 3.1 document of plain JSON', () => {
    expect(structuralProblems(document)).toEqual([]);
    expect(JSON.parse(JSON.stringify(document))).toEqual(document);
    expect(document['info']).toEqual(info);
    expect(document['servers']).toEqual([{ url: 'http://127.0.0.1:8080' }]);
    expect(Object.keys(at(document, 'paths'))).toEqual([
      '/v1/deliveries/{deliveryId}',
      '/v1/deliveries',
      '/v1/campaigns/{campaignId}/recipients/{listId}',
    ]);
    expect(Object.keys(at(document, 'paths', '/v1/deliveries'))).toEqual(['get', 'post']);
  });

  it('declares the path parameters of an Express path as required strings', () => {
    const op = operation('/v1/deliveries/{deliveryId}', 'get');

    expect(op['parameters']).toEqual([
      { name: 'deliveryId', in: 'path', required: true, schema: { type: 'string' } },
    ]);
    expect(op).toMatchObject({ operationId: 'getDelivery', summary: 'One delivery', tags: ['deliveries'] });
    expect(op).not.toHaveProperty('requestBody');
  });

  it('keeps a path parameter given explicitly, with its schema and description', () => {
    const op = operation('/v1/campaigns/{campaignId}/recipients/{listId}', 'post');

    expect(parameter(op, 'campaignId')).toEqual({
      name: 'campaignId',
      in: 'path',
      required: true,
      schema: { type: 'string' },
    });
    expect(parameter(op, 'listId')).toMatchObject({
      in: 'path',
      required: true,
      description: 'The list to add to',
      schema: { type: 'string', format: 'uuid' },
    });
  });

  it('makes a query parameter optional when its schema accepts a missing value', () => {
    const op = operation('/v1/deliveries', 'get');

    expect(parameter(op, 'limit')).toEqual({
      name: 'limit',
      in: 'query',
      required: false,
      schema: { type: 'integer', minimum: 1, maximum: 500, default: 50 },
    });
    expect(parameter(op, 'status')).toEqual({
      name: 'status',
      in: 'query',
      description: 'Only these',
      required: true,
      schema: { type: 'string', enum: ['planned', 'sent', 'bounced'] },
    });
    expect(parameter(op, 'x-tenant')).toEqual({
      name: 'x-tenant',
      in: 'header',
      required: true,
      schema: { type: 'string' },
    });
  });

  it('documents a JSON request body as read: a field with a default is optional', () => {
    const body = at(operation('/v1/deliveries', 'post'), 'requestBody');
    const schema = at(body, 'content', 'application/json', 'schema');

    expect(body).toMatchObject({ description: 'What to send', required: true });
    expect(Object.keys(at(body, 'content'))).toEqual(['application/json']);
    expect(schema['required']).toEqual(['to']);
    expect(at(schema, 'properties', 'priority')).toMatchObject({ type: 'integer', default: 5 });
    expect(schema).not.toHaveProperty('$schema');
  });

  it('documents a response as written: a field with a default is always there', () => {
    const address = at(document, 'components', 'schemas', 'Address');

    expect(address['required']).toEqual(['city', 'country']);
  });

  it('names the request form of a component apart when it reads differently than it is written', () => {
    const schemas = at(document, 'components', 'schemas');
    const body = at(
      operation('/v1/deliveries', 'post'),
      'requestBody',
      'content',
      'application/json',
      'schema',
    );

    expect(at(body, 'properties', 'address')).toEqual({ $ref: '#/components/schemas/AddressInput' });
    expect(at(schemas, 'AddressInput')['required']).toEqual(['city']);
    expect(at(schemas, 'Delivery', 'properties', 'address')).toEqual({
      $ref: '#/components/schemas/Address',
    });
  });

  it('names the request form of a component apart when only a component it refers to reads differently', () => {
    const Addresses = z.array(Address);
    const doc = buildOpenApi(
      info,
      [
        {
          method: 'put',
          path: '/v1/addresses',
          operationId: 'replaceAddresses',
          summary: 'Replace the address book',
          requestBody: { schema: Addresses },
          responses: { '200': { description: 'The new book', schema: Addresses } },
        },
      ],
      { components: { Address, Addresses } },
    );
    const schemas = at(doc, 'components', 'schemas');

    expect(structuralProblems(doc)).toEqual([]);
    expect(at(doc, 'paths', '/v1/addresses', 'put', 'requestBody', 'content', 'application/json')).toEqual({
      schema: { $ref: '#/components/schemas/AddressesInput' },
    });
    expect(schemas['AddressesInput']).toEqual({
      type: 'array',
      items: { $ref: '#/components/schemas/AddressInput' },
    });
    expect(schemas['Addresses']).toEqual({ type: 'array', items: { $ref: '#/components/schemas/Address' } });
  });

  it('documents a text/csv body', () => {
    const body = at(operation('/v1/campaigns/{campaignId}/recipients/{listId}', 'post'), 'requestBody');

    expect(body).toEqual({ required: true, content: { 'text/csv': { schema: { type: 'string' } } } });
  });

  it('refers to a component wherever the same schema object is used, and emits it once', () => {
    const single = at(operation('/v1/deliveries/{deliveryId}', 'get'), 'responses', '200');
    const created = at(operation('/v1/deliveries', 'post'), 'responses', '201');
    const page = at(
      operation('/v1/deliveries', 'get'),
      'responses',
      '200',
      'content',
      'application/json',
      'schema',
    );
    const delivery = at(document, 'components', 'schemas', 'Delivery');

    expect(single).toEqual({
      description: 'The delivery',
      content: { 'application/json': { schema: { $ref: '#/components/schemas/Delivery' } } },
    });
    expect(at(created, 'content', 'application/json', 'schema')).toEqual({
      $ref: '#/components/schemas/Delivery',
    });
    expect(at(page, 'properties', 'items')).toEqual({
      type: 'array',
      items: { $ref: '#/components/schemas/Delivery' },
    });
    expect(delivery).toMatchObject({ type: 'object', required: ['deliveryId', 'to', 'status'] });
    expect(Object.keys(at(document, 'components', 'schemas')).sort()).toEqual([
      'Address',
      'AddressInput',
      'ApiError',
      'Delivery',
    ]);
  });

  it('documents 4xx answers with the ApiError component', () => {
    const bad = at(operation('/v1/deliveries', 'post'), 'responses', '400');
    const refused = at(operation('/v1/campaigns/{campaignId}/recipients/{listId}', 'post'), 'responses');

    expect(at(bad, 'content', 'application/json', 'schema')).toEqual({
      $ref: '#/components/schemas/ApiError',
    });
    expect(refused['202']).toEqual({ description: 'Accepted; imported in the background' });
    expect(at(refused, '4XX', 'content', 'application/json', 'schema')).toEqual({
      $ref: '#/components/schemas/ApiError',
    });
    expect(at(document, 'components', 'schemas', 'ApiError')).toMatchObject({
      type: 'object',
      properties: { error: { type: 'string' }, field: { type: 'string' }, value: {} },
      required: ['error'],
    });
    expect(
      ApiError.parse({ error: 'to: must be an email address (got "x")', field: 'to', value: 'x' }),
    ).toEqual({
      error: 'to: must be an email address (got "x")',
      field: 'to',
      value: 'x',
    });
  });

  it('emits components nobody uses, and no components section when there are none', () => {
    const Unused = z.object({ note: z.string() });
    const withUnused = buildOpenApi(info, [], { components: { Unused } });
    const bare = buildOpenApi(info, [
      {
        method: 'get',
        path: '/health',
        operationId: 'health',
        summary: 'Liveness',
        responses: { '200': { description: 'Alive', schema: z.object({ status: z.literal('ok') }) } },
      },
    ]);

    expect(at(withUnused, 'components', 'schemas', 'Unused')).toMatchObject({ required: ['note'] });
    expect(withUnused['paths']).toEqual({});
    expect(bare).not.toHaveProperty('components');
    expect(bare).not.toHaveProperty('servers');
    expect(structuralProblems(bare)).toEqual([]);
  });

  it('names a schema by its zod metadata id, and a recursive component by reference to itself', () => {
    const Money = z.object({ amount: z.number(), currency: z.string() }).meta({ id: 'MoneyForOpenApiSpec' });
    const Folder = z.object({
      name: z.string(),
      get children(): z.ZodArray<typeof Folder> {
        return z.array(Folder);
      },
    });
    const doc = buildOpenApi(
      info,
      [
        {
          method: 'get',
          path: '/v1/folders',
          operationId: 'folders',
          summary: 'The folder tree',
          responses: {
            '200': { description: 'Root', schema: z.object({ root: Folder, cost: Money }) },
          },
        },
      ],
      { components: { Folder } },
    );
    const schemas = at(doc, 'components', 'schemas');

    expect(structuralProblems(doc)).toEqual([]);
    expect(at(schemas, 'Folder', 'properties', 'children', 'items')).toEqual({
      $ref: '#/components/schemas/Folder',
    });
    expect(at(schemas, 'MoneyForOpenApiSpec')).toMatchObject({ required: ['amount', 'currency'] });
    expect(
      at(doc, 'paths', '/v1/folders', 'get', 'responses', '200', 'content', 'application/json', 'schema'),
    ).toMatchObject({
      properties: {
        root: { $ref: '#/components/schemas/Folder' },
        cost: { $ref: '#/components/schemas/MoneyForOpenApiSpec' },
      },
    });
  });

  describe('refuses', () => {
    const getOne = operations[0]!;

    it('a duplicate operationId, naming it and both routes', () => {
      expect(() => buildOpenApi(info, [getOne, { ...getOne, method: 'delete' }])).toThrow(
        'duplicate operationId "getDelivery" (GET /v1/deliveries/{deliveryId} and DELETE /v1/deliveries/{deliveryId})',
      );
    });

    it('a duplicate method and path, naming both operations', () => {
      expect(() => buildOpenApi(info, [getOne, { ...getOne, operationId: 'fetchDelivery' }])).toThrow(
        'duplicate route GET /v1/deliveries/{deliveryId}: operations "getDelivery" and "fetchDelivery"',
      );
    });

    it('paths that differ only in parameter names', () => {
      const other = { ...getOne, method: 'delete' as const, path: '/v1/deliveries/:id', operationId: 'drop' };

      expect(() => buildOpenApi(info, [getOne, other])).toThrow(
        'operation "drop": path "/v1/deliveries/{id}" differs from "/v1/deliveries/{deliveryId}" only in parameter names',
      );
    });

    it('a path parameter that is not in the path', () => {
      const op = { ...getOne, parameters: [{ name: 'id', in: 'path' as const }] };

      expect(() => buildOpenApi(info, [op])).toThrow(
        'operation "getDelivery": path parameter "id" is not in the path "/v1/deliveries/:deliveryId"',
      );
    });

    it('an Express wildcard, which OpenAPI cannot express', () => {
      expect(() => buildOpenApi(info, [{ ...getOne, path: '/v1/files/*rest' }])).toThrow(
        'operation "getDelivery": path may use only ":name" parameters; wildcards, optional parts and braces have no OpenAPI form (got "/v1/files/*rest")',
      );
    });

    it('an operation without responses, and a response key that is no status', () => {
      expect(() => buildOpenApi(info, [{ ...getOne, responses: {} }])).toThrow(
        'operation "getDelivery": responses must describe at least one response',
      );
      expect(() => buildOpenApi(info, [{ ...getOne, responses: { ok: { description: 'Fine' } } }])).toThrow(
        'operation "getDelivery": response key must be a status code like "200", "4XX" or "default" (got "ok")',
      );
    });

    it('a recursive schema without a name, which could only point at the document root', () => {
      const Node = z.object({
        label: z.string(),
        get next(): z.ZodOptional<typeof Node> {
          return Node.optional();
        },
      });
      const op: ApiOperation = { ...getOne, responses: { '200': { description: 'A chain', schema: Node } } };

      expect(() => buildOpenApi(info, [op])).toThrow(
        'operation "getDelivery": response 200: the schema refers to itself; list it in components or give it .meta({ id }) so it can be named',
      );
      expect(structuralProblems(buildOpenApi(info, [op], { components: { Node } }))).toEqual([]);
    });

    it('a recursive schema without a name inside another, which zod names only per conversion', () => {
      const Node = z.object({
        label: z.string(),
        get next(): z.ZodOptional<typeof Node> {
          return Node.optional();
        },
      });
      const op: ApiOperation = {
        ...getOne,
        responses: { '200': { description: 'A chain', schema: z.object({ chain: Node }) } },
      };

      expect(() => buildOpenApi(info, [op])).toThrow(
        'operation "getDelivery": response 200: the schema contains a recursive schema without a name; list it in components or give it .meta({ id })',
      );
    });

    it('one schema under two component names', () => {
      expect(() => buildOpenApi(info, [], { components: { Delivery, Shipment: Delivery } })).toThrow(
        'components: "Delivery" and "Shipment" are the same schema object; give it one name',
      );
    });
  });
});

describe('openApiController', () => {
  let app: INestApplication;
  let url: string;

  beforeAll(async () => {
    const moduleRef = await Test.createTestingModule({
      controllers: [openApiController(document), openApiController({ openapi: '3.1.0' }, '/docs/api.json')],
    }).compile();
    app = moduleRef.createNestApplication({ logger: false });
    await app.listen(0, '127.0.0.1');
    url = await app.getUrl();
  });

  afterAll(async () => {
    await app?.close();
  });

  it('serves the document as JSON at GET /v1/openapi.json', async () => {
    const response = await fetch(`${url}/v1/openapi.json`);

    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^application\/json/);
    expect(await response.json()).toEqual(document);
  });

  it('serves at the path it is given', async () => {
    const response = await fetch(`${url}/docs/api.json`);

    expect(await response.json()).toEqual({ openapi: '3.1.0' });
    expect((await fetch(`${url}/docs/other.json`)).status).toBe(404);
  });
});
