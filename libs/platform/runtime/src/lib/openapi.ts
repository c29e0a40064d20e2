import { Controller, Get, type DynamicModule, type Type } from '@nestjs/common';
import { z } from 'zod';

export interface ApiParameter {
  readonly name: string;
  readonly in: 'path' | 'query' | 'header';
  readonly description?: string;
  /** Defaults to true for path parameters, otherwise to whether the schema rejects a missing value. */
  readonly required?: boolean;
  readonly schema?: z.ZodType;
}

export interface ApiOperation {
  readonly method: 'get' | 'post' | 'put' | 'patch' | 'delete';
  /** Express style: '/v1/deliveries/:deliveryId' is documented as '/v1/deliveries/{deliveryId}'. */
  readonly path: string;
  readonly operationId: string;
  readonly summary: string;
  readonly description?: string;
  readonly tags?: readonly string[];
  /** Path parameters not listed here are declared as required strings. */
  readonly parameters?: readonly ApiParameter[];
  readonly requestBody?: {
    readonly schema?: z.ZodType;
    /** Defaults to ['application/json']. */
    readonly contentTypes?: readonly string[];
    readonly description?: string;
    /** Defaults to true. */
    readonly required?: boolean;
  };
  /** Keyed by status code ('200', '4XX', 'default'); contentType defaults to 'application/json'. */
  readonly responses: Readonly<
    Record<
      string,
      { readonly description: string; readonly schema?: z.ZodType; readonly contentType?: string }
    >
  >;
}

export interface OpenApiInfo {
  readonly title: string;
  readonly version: string;
  readonly description?: string;
}

export interface OpenApiOptions {
  readonly servers?: readonly { readonly url: string }[];
  /** Named schemas, emitted under components.schemas and referenced wherever the same schema object is used. */
  readonly components?: Readonly<Record<string, z.ZodType>>;
}

/** The JSON body every HTTP error leaves with (see HttpErrorsFilter); documented as the ApiError component. */
export const ApiError = z.object({
  error: z.string().describe('What went wrong, naming the field and the value when one is at fault'),
  field: z.string().optional().describe('The request field at fault'),
  value: z.unknown().optional().describe('The value that was refused'),
});

type Json = Record<string, unknown>;
type Io = 'input' | 'output';

const COMPONENT_NAME = /^[A-Za-z0-9._-]+$/;
const STATUS_KEY = /^(default|[1-5](\d\d|XX))$/;
const EXPRESS_PARAM = /:([A-Za-z_][A-Za-z0-9_]*)/g;
const DEFS_REF = '#/$defs/';
const COMPONENTS_REF = '#/components/schemas/';

/**
 * Converts zod schemas for embedding in one OpenAPI document. Zod extracts every schema whose
 * metadata carries an `id` into `$defs` and refers to it as `#/$defs/<id>`; naming the components
 * through that metadata lets zod do the identity matching, and those `$defs` are then hoisted into
 * components.schemas, since a `#/…` pointer inside the document resolves against the document root.
 */
class SchemaConverter {
  private readonly names = new Map<z.core.$ZodType, string>();
  private readonly metadata: z.core.$ZodRegistry<z.core.GlobalMeta>;
  private readonly defs: Record<Io, Map<string, Json>> = { input: new Map(), output: new Map() };
  private readonly embedded: { readonly json: Json; readonly io: Io }[] = [];

  constructor(components: Readonly<Record<string, z.ZodType>>) {
    this.names.set(ApiError, 'ApiError');
    for (const [name, schema] of Object.entries(components)) {
      if (!COMPONENT_NAME.test(name)) {
        throw new Error(`components: a name may hold only letters, digits, ".", "-" and "_" (got "${name}")`);
      }
      const other = this.names.get(schema);
      if (other !== undefined && schema !== ApiError) {
        throw new Error(`components: "${other}" and "${name}" are the same schema object; give it one name`);
      }
      this.names.set(schema, name);
    }
    const names = this.names;
    this.metadata = z.registry<z.core.GlobalMeta>();
    // A component name wins over an id the schema may carry in the global registry.
    this.metadata.get = ((schema: z.core.$ZodType) => {
      const meta = z.globalRegistry.get(schema);
      const name = names.get(schema);
      return name === undefined ? meta : { ...meta, id: name };
    }) as typeof this.metadata.get;
  }

  /** The JSON Schema of `schema` as read (io 'input': defaults make fields optional) or as written. */
  convert(schema: z.ZodType, io: Io, where: string): Json {
    const converted = z.toJSONSchema(schema, {
      io,
      target: 'draft-2020-12',
      unrepresentable: 'any',
      metadata: this.metadata,
    }) as Json;
    // An unnamed root that contains itself is referred to as '#', which in the document is its root.
    if (containsRef(converted, (ref) => ref === '#')) {
      throw new Error(
        `${where}: the schema refers to itself; list it in components or give it .meta({ id }) so it can be named`,
      );
    }
    const { $schema: _schema, $defs, ...json } = converted;
    for (const [id, body] of Object.entries(($defs ?? {}) as Record<string, Json>))
      this.addDef(id, body, io, where);
    this.embedded.push({ json, io });
    return json;
  }

  /** Rewrites every reference into components.schemas and returns them, sorted by name. */
  finish(): Record<string, Json> {
    const inputName = this.inputNames();
    const name = (id: string, io: Io) => (io === 'input' ? (inputName.get(id) ?? id) : id);
    for (const { json, io } of this.embedded) rewriteRefs(json, (id) => name(id, io));

    const schemas: Record<string, Json> = {};
    for (const io of ['output', 'input'] as const) {
      for (const [id, body] of this.defs[io]) {
        const key = name(id, io);
        if (io === 'input' && this.defs.output.has(id) && key === id) continue;
        if (schemas[key] !== undefined) {
          throw new Error(
            `components: "${key}" names both a schema and the request form of "${id}"; rename one`,
          );
        }
        schemas[key] = rewriteRefs(body, (ref) => name(ref, io));
      }
    }
    return Object.fromEntries(Object.entries(schemas).sort(([a], [b]) => a.localeCompare(b)));
  }

  private addDef(id: string, body: Json, io: Io, where: string): void {
    // Zod's own name for an unnamed schema it had to extract to break a cycle; it is only unique per conversion.
    if (/^__schema\d+$/.test(id)) {
      throw new Error(
        `${where}: the schema contains a recursive schema without a name; list it in components or give it .meta({ id })`,
      );
    }
    if (!COMPONENT_NAME.test(id)) {
      throw new Error(`${where}: schema id "${id}" may hold only letters, digits, ".", "-" and "_"`);
    }
    const known = this.defs[io].get(id);
    if (known !== undefined && JSON.stringify(known) !== JSON.stringify(body)) {
      throw new Error(`${where}: schema id "${id}" is used by two different schemas`);
    }
    this.defs[io].set(id, body);
  }

  /**
   * A component that reads differently than it is written (defaults, transforms, open objects) is
   * emitted twice, as X and XInput; so is every component that refers to one of those.
   */
  private inputNames(): Map<string, string> {
    const differs = new Set<string>();
    for (const [id, body] of this.defs.input) {
      const output = this.defs.output.get(id);
      if (output !== undefined && JSON.stringify(output) !== JSON.stringify(body)) differs.add(id);
    }
    for (let grew = true; grew;) {
      grew = false;
      for (const [id, body] of this.defs.input) {
        if (differs.has(id) || !this.defs.output.has(id)) continue;
        if (containsRef(body, (ref) => ref.startsWith(DEFS_REF) && differs.has(ref.slice(DEFS_REF.length)))) {
          differs.add(id);
          grew = true;
        }
      }
    }
    return new Map([...differs].map((id) => [id, `${id}Input`]));
  }
}

function containsRef(value: unknown, matches: (ref: string) => boolean): boolean {
  if (Array.isArray(value)) return value.some((item) => containsRef(item, matches));
  if (value === null || typeof value !== 'object') return false;
  return Object.entries(value).some(([key, item]) =>
    key === '$ref' && typeof item === 'string' ? matches(item) : containsRef(item, matches),
  );
}

/** Points every `#/$defs/<id>` reference at components.schemas, in place. */
function rewriteRefs(value: Json, name: (id: string) => string): Json {
  const visit = (node: unknown): void => {
    if (Array.isArray(node)) return node.forEach(visit);
    if (node === null || typeof node !== 'object') return;
    const object = node as Json;
    for (const [key, item] of Object.entries(object)) {
      if (key === '$ref' && typeof item === 'string' && item.startsWith(DEFS_REF)) {
        object[key] = COMPONENTS_REF + name(item.slice(DEFS_REF.length));
      } else {
        visit(item);
      }
    }
  };
  visit(value);
  return value;
}

/** Drops undefined values so the document carries only what was said. */
function defined(object: Record<string, unknown>): Json {
  return Object.fromEntries(Object.entries(object).filter(([, value]) => value !== undefined));
}

function acceptsMissing(schema: z.ZodType): boolean {
  return schema.safeParse(undefined).success;
}

/** '/v1/deliveries/:deliveryId' → '/v1/deliveries/{deliveryId}' and the names of its parameters. */
function pathTemplate(operation: ApiOperation): { readonly template: string; readonly params: string[] } {
  const { path, operationId } = operation;
  if (!path.startsWith('/')) {
    throw new Error(`operation "${operationId}": path must start with "/" (got "${path}")`);
  }
  if (/[*?(){}]/.test(path)) {
    throw new Error(
      `operation "${operationId}": path may use only ":name" parameters; wildcards, optional parts and braces have no OpenAPI form (got "${path}")`,
    );
  }
  const params = [...path.matchAll(EXPRESS_PARAM)].map((match) => match[1] as string);
  return { template: path.replace(EXPRESS_PARAM, '{$1}'), params };
}

function parameters(
  operation: ApiOperation,
  pathParams: readonly string[],
  converter: SchemaConverter,
): Json[] | undefined {
  const where = (parameter: ApiParameter) =>
    `operation "${operation.operationId}": ${parameter.in} parameter "${parameter.name}"`;
  const given = operation.parameters ?? [];
  const seen = new Set<string>();
  for (const parameter of given) {
    const key = `${parameter.in} ${parameter.name}`;
    if (seen.has(key)) throw new Error(`${where(parameter)} is declared twice`);
    seen.add(key);
    if (parameter.in === 'path' && !pathParams.includes(parameter.name)) {
      throw new Error(`${where(parameter)} is not in the path "${operation.path}"`);
    }
    if (parameter.in === 'path' && parameter.required === false) {
      throw new Error(`${where(parameter)}: a path parameter is always required`);
    }
  }
  const implicit: ApiParameter[] = pathParams
    .filter((name) => !seen.has(`path ${name}`))
    .map((name) => ({ name, in: 'path' }));
  const all = [...implicit, ...given];
  if (all.length === 0) return undefined;
  return all.map((parameter) =>
    defined({
      name: parameter.name,
      in: parameter.in,
      description: parameter.description,
      required:
        parameter.in === 'path' ||
        (parameter.required ?? (parameter.schema !== undefined && !acceptsMissing(parameter.schema))),
      schema:
        parameter.schema === undefined
          ? { type: 'string' }
          : converter.convert(parameter.schema, 'input', where(parameter)),
    }),
  );
}

function requestBody(operation: ApiOperation, converter: SchemaConverter): Json | undefined {
  const body = operation.requestBody;
  if (body === undefined) return undefined;
  const contentTypes = body.contentTypes ?? ['application/json'];
  if (contentTypes.length === 0) {
    throw new Error(
      `operation "${operation.operationId}": requestBody.contentTypes must name at least one type`,
    );
  }
  const schema =
    body.schema === undefined
      ? undefined
      : converter.convert(body.schema, 'input', `operation "${operation.operationId}": request body`);
  return defined({
    description: body.description,
    required: body.required ?? true,
    content: Object.fromEntries(contentTypes.map((type) => [type, defined({ schema })])),
  });
}

function responses(operation: ApiOperation, converter: SchemaConverter): Json {
  const entries = Object.entries(operation.responses);
  if (entries.length === 0) {
    throw new Error(`operation "${operation.operationId}": responses must describe at least one response`);
  }
  return Object.fromEntries(
    entries.map(([status, response]) => {
      if (!STATUS_KEY.test(status)) {
        throw new Error(
          `operation "${operation.operationId}": response key must be a status code like "200", "4XX" or "default" (got "${status}")`,
        );
      }
      const content =
        response.schema === undefined
          ? undefined
          : {
              [response.contentType ?? 'application/json']: {
                schema: converter.convert(
                  response.schema,
                  'output',
                  `operation "${operation.operationId}": response ${status}`,
                ),
              },
            };
      return [status, defined({ description: response.description, content })];
    }),
  );
}

/**
 * An OpenAPI 3.1 document for `operations`. Request bodies and parameters are documented as they
 * are read (a field with a default is optional), responses as they are written.
 */
export function buildOpenApi(
  info: OpenApiInfo,
  operations: readonly ApiOperation[],
  options: OpenApiOptions = {},
): Record<string, unknown> {
  const converter = new SchemaConverter(options.components ?? {});
  // Every named component is emitted, used or not, in the form responses carry.
  for (const [name, schema] of Object.entries(options.components ?? {})) {
    converter.convert(schema, 'output', `components.${name}`);
  }

  const byOperationId = new Map<string, string>();
  const byRoute = new Map<string, string>();
  const templates = new Map<string, string>();
  const paths: Record<string, Record<string, Json>> = {};
  for (const operation of operations) {
    const { template, params } = pathTemplate(operation);
    const route = `${operation.method.toUpperCase()} ${template}`;
    const sameId = byOperationId.get(operation.operationId);
    if (sameId !== undefined) {
      throw new Error(`duplicate operationId "${operation.operationId}" (${sameId} and ${route})`);
    }
    byOperationId.set(operation.operationId, route);
    // '/a/{x}' and '/a/{y}' are one path to OpenAPI (and to Express).
    const shape = template.replace(/\{[^}]+\}/g, '{}');
    const sameShape = templates.get(shape);
    if (sameShape !== undefined && sameShape !== template) {
      throw new Error(
        `operation "${operation.operationId}": path "${template}" differs from "${sameShape}" only in parameter names`,
      );
    }
    templates.set(shape, template);
    const sameRoute = byRoute.get(route);
    if (sameRoute !== undefined) {
      throw new Error(`duplicate route ${route}: operations "${sameRoute}" and "${operation.operationId}"`);
    }
    byRoute.set(route, operation.operationId);

    (paths[template] ??= {})[operation.method] = defined({
      operationId: operation.operationId,
      summary: operation.summary,
      description: operation.description,
      tags: operation.tags === undefined ? undefined : [...operation.tags],
      parameters: parameters(operation, params, converter),
      requestBody: requestBody(operation, converter),
      responses: responses(operation, converter),
    });
  }

  const schemas = converter.finish();
  return defined({
    openapi: '3.1.0',
    info: defined({ title: info.title, version: info.version, description: info.description }),
    servers: options.servers?.map((server) => ({ url: server.url })),
    paths,
    components: Object.keys(schemas).length === 0 ? undefined : { schemas },
  });
}

/** A Nest controller serving `document` as JSON at GET `path`. */
export function openApiController(
  document: Record<string, unknown>,
  path = '/v1/openapi.json',
): new (...args: never[]) => unknown {
  @Controller()
  class OpenApiController {
    @Get(path)
    serve(): Record<string, unknown> {
      return document;
    }
  }
  return OpenApiController;
}

/** A module serving one OpenAPI document, for a service's module list. */
export function openApiModule(
  info: OpenApiInfo,
  operations: readonly ApiOperation[],
  path?: string,
): DynamicModule {
  class OpenApiModule {}
  return {
    module: OpenApiModule,
    controllers: [openApiController(buildOpenApi(info, operations), path) as Type],
  };
}
