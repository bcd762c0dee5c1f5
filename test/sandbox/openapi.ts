// A small validator for the part of JSON Schema that Synapse's published OpenAPI specification uses
// ($ref, type, properties, required, items, enum, oneOf + discriminator, allOf, anyOf, additionalProperties,
// format, pattern, minimum/maximum), and a matcher from request paths to the spec's operations.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

/* eslint-disable @typescript-eslint/no-explicit-any */
export type Schema = Record<string, any>;

export interface OpenApiSpec {
  paths: Record<string, Record<string, Operation>>;
  components: { schemas: Record<string, Schema> };
}

export interface Operation {
  operationId?: string;
  parameters?: Array<{ name: string; in: 'query' | 'path' | 'header'; required?: boolean; schema?: Schema }>;
  requestBody?: { required?: boolean; content?: Record<string, { schema?: Schema }> };
  responses: Record<string, { content?: Record<string, { schema?: Schema }> }>;
}

/** The specification shipped in @sage-bionetworks/synapse-client (generated from the server's controllers). */
export function loadSynapseSpec(): OpenApiSpec {
  // The package's exports map hides its files, so it is found in node_modules above this file.
  const relative = join('node_modules', '@sage-bionetworks', 'synapse-client', 'dist', 'spec', 'openapispecification.json');
  for (let dir = __dirname; ; dir = dirname(dir)) {
    if (existsSync(join(dir, relative))) return JSON.parse(readFileSync(join(dir, relative), 'utf8')) as OpenApiSpec;
    if (dirname(dir) === dir)
      throw new Error(`${relative} not found above ${__dirname}: is the devDependency @sage-bionetworks/synapse-client installed?`);
  }
}

const REF_PREFIX = '#/components/schemas/';
const ISO_DATE_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;

export class SchemaValidator {
  /** Schemas a validation went through, by name (coverage). */
  readonly seen = new Set<string>();

  constructor(readonly spec: OpenApiSpec) {}

  schema(name: string): Schema {
    const schema = this.spec.components.schemas[name];
    if (!schema) throw new Error(`The specification has no schema ${name}`);
    return schema;
  }

  resolve(schema: Schema): Schema {
    let current = schema;
    for (let depth = 0; current.$ref && depth < 20; depth++) {
      const ref = String(current.$ref);
      if (!ref.startsWith(REF_PREFIX)) throw new Error(`Unsupported $ref ${ref}`);
      const name = ref.slice(REF_PREFIX.length);
      this.seen.add(name);
      current = this.schema(name);
    }
    return current;
  }

  /** Every way `value` breaks `schema`, as "path: problem" lines (empty when it conforms). */
  validate(schema: Schema, value: unknown, path = '$'): string[] {
    const errors: string[] = [];
    this.check(schema, value, path, errors, 0);
    return errors;
  }

  private check(raw: Schema, value: unknown, path: string, errors: string[], depth: number): void {
    if (depth > 64) throw new Error(`Schema nesting too deep at ${path}`);
    const schema = this.resolve(raw);
    if (value === null) {
      // Synapse leaves null fields out; a null is only fine where the schema says nullable.
      if (!schema.nullable) errors.push(`${path}: null (Synapse omits empty fields)`);
      return;
    }
    if (schema.oneOf && schema.discriminator) {
      this.checkDiscriminated(schema, value, path, errors, depth);
    } else if (schema.oneOf) {
      const matching = (schema.oneOf as Schema[]).filter((option) => this.validate(option, value, path).length === 0);
      if (matching.length !== 1) errors.push(`${path}: matches ${matching.length} of the oneOf schemas, not exactly one`);
    }
    if (schema.anyOf && !(schema.anyOf as Schema[]).some((option) => this.validate(option, value, path).length === 0)) {
      errors.push(`${path}: matches none of the anyOf schemas`);
    }
    for (const part of (schema.allOf ?? []) as Schema[]) this.check(part, value, path, errors, depth + 1);
    if (schema.enum && !(schema.enum as unknown[]).includes(value))
      errors.push(`${path}: ${JSON.stringify(value)} is not one of ${JSON.stringify(schema.enum)}`);
    if (schema.type && !this.hasType(schema.type, value)) {
      errors.push(
        `${path}: expected ${schema.type}, got ${Array.isArray(value) ? 'array' : typeof value} ${JSON.stringify(value)?.slice(0, 60)}`,
      );
      return;
    }
    if (typeof value === 'string') {
      if (schema.format === 'date-time' && !ISO_DATE_TIME.test(value)) errors.push(`${path}: "${value}" is not a date-time`);
      if (schema.pattern && !new RegExp(schema.pattern).test(value)) errors.push(`${path}: "${value}" does not match ${schema.pattern}`);
    }
    if (typeof value === 'number') {
      if (schema.format === 'int32' && (value > 2 ** 31 - 1 || value < -(2 ** 31))) errors.push(`${path}: ${value} does not fit int32`);
      if (typeof schema.minimum === 'number' && value < schema.minimum) errors.push(`${path}: ${value} < ${schema.minimum}`);
      if (typeof schema.maximum === 'number' && value > schema.maximum) errors.push(`${path}: ${value} > ${schema.maximum}`);
    }
    if (Array.isArray(value) && schema.items)
      value.forEach((item, index) => this.check(schema.items, item, `${path}[${index}]`, errors, depth + 1));
    if (value !== null && typeof value === 'object' && !Array.isArray(value))
      this.checkObject(schema, value as Record<string, unknown>, path, errors, depth);
  }

  private checkObject(schema: Schema, value: Record<string, unknown>, path: string, errors: string[], depth: number): void {
    for (const name of (schema.required ?? []) as string[])
      if (!(name in value)) errors.push(`${path}: required property ${name} is missing`);
    const properties = (schema.properties ?? {}) as Record<string, Schema>;
    for (const [name, item] of Object.entries(value)) {
      if (properties[name]) this.check(properties[name], item, `${path}.${name}`, errors, depth + 1);
      else if (schema.additionalProperties && typeof schema.additionalProperties === 'object')
        this.check(schema.additionalProperties, item, `${path}.${name}`, errors, depth + 1);
      // Synapse's serializer writes only the schema's fields: anything else is a sandbox invention.
      else if (schema.properties && !schema.oneOf && schema.additionalProperties === undefined)
        errors.push(`${path}: property ${name} is not in the schema`);
    }
  }

  /** oneOf + discriminator (concreteType): the option whose concreteType enum (or name) is the value. */
  private checkDiscriminated(schema: Schema, value: unknown, path: string, errors: string[], depth: number): void {
    const property = String(schema.discriminator.propertyName);
    const tag = (value as Record<string, unknown> | null)?.[property];
    const options = schema.oneOf as Schema[];
    const chosen = options.find((option) => {
      const name = String(option.$ref ?? '').slice(REF_PREFIX.length);
      if (name === tag) return true;
      const resolved = option.$ref ? this.schema(name) : option;
      return ((resolved.properties?.[property]?.enum ?? []) as unknown[]).includes(tag);
    });
    if (!chosen) {
      errors.push(`${path}: ${property} ${JSON.stringify(tag)} is none of the ${options.length} types the schema allows`);
      return;
    }
    this.check(chosen, value, path, errors, depth + 1);
  }

  private hasType(type: string, value: unknown): boolean {
    switch (type) {
      case 'object':
        return typeof value === 'object' && value !== null && !Array.isArray(value);
      case 'array':
        return Array.isArray(value);
      case 'string':
        return typeof value === 'string';
      case 'integer':
        return typeof value === 'number' && Number.isInteger(value);
      case 'number':
        return typeof value === 'number';
      case 'boolean':
        return typeof value === 'boolean';
      default:
        throw new Error(`Unsupported type ${type}`);
    }
  }
}

/** The spec's operation for a concrete path (templates like /repo/v1/entity/{id} match one segment each). */
export function findOperation(
  spec: OpenApiSpec,
  method: string,
  path: string,
): { template: string; operation: Operation; params: Record<string, string> } | undefined {
  const candidates: Array<{ template: string; operation: Operation; params: Record<string, string>; literal: number }> = [];
  for (const [template, methods] of Object.entries(spec.paths)) {
    const operation = methods[method.toLowerCase()];
    if (!operation) continue;
    const names: string[] = [];
    const pattern = new RegExp(
      `^${template.replace(/[.*+?^$()|[\]\\]/g, '\\$&').replace(/\{([^}]+)\}/g, (_m, name: string) => {
        names.push(name);
        return '([^/]+)';
      })}$`,
    );
    const match = pattern.exec(path);
    if (!match) continue;
    const params = Object.fromEntries(names.map((name, index) => [name, decodeURIComponent(match[index + 1])]));
    candidates.push({ template, operation, params, literal: template.replace(/\{[^}]+\}/g, '').length });
  }
  // The most literal template wins (/entity/dockerRepo/id over /entity/{id}/{x}).
  candidates.sort((a, b) => b.literal - a.literal);
  return candidates[0];
}

/** Problems with a request's query parameters and body against the operation (names, required, types). */
export function requestProblems(validator: SchemaValidator, operation: Operation, query: URLSearchParams, body: unknown): string[] {
  const problems: string[] = [];
  const declared = new Map((operation.parameters ?? []).filter((p) => p.in === 'query').map((p) => [p.name, p]));
  for (const name of new Set(query.keys())) {
    const parameter = declared.get(name);
    if (!parameter) {
      problems.push(`query parameter ${name} is not declared`);
      continue;
    }
    for (const text of query.getAll(name)) problems.push(...parameterProblems(validator, name, parameter.schema ?? {}, text));
  }
  for (const parameter of declared.values())
    if (parameter.required && !query.has(parameter.name)) problems.push(`required query parameter ${parameter.name} is missing`);
  const bodySchema = operation.requestBody?.content?.['application/json']?.schema;
  if (bodySchema) {
    if (body === undefined) {
      if (operation.requestBody?.required) problems.push('the request body is required');
    } else {
      problems.push(...validator.validate(bodySchema, body, 'body'));
    }
  } else if (body !== undefined) {
    problems.push('a body was sent to an operation that takes none');
  }
  return problems;
}

function parameterProblems(validator: SchemaValidator, name: string, raw: Schema, text: string): string[] {
  const schema = validator.resolve(raw);
  if (schema.enum && !(schema.enum as unknown[]).includes(text))
    return [`query parameter ${name}=${text} is not one of ${JSON.stringify(schema.enum)}`];
  switch (schema.type) {
    case 'boolean':
      return /^(true|false)$/.test(text) ? [] : [`query parameter ${name}=${text} is not a boolean`];
    case 'integer':
      return /^-?\d+$/.test(text) ? [] : [`query parameter ${name}=${text} is not an integer`];
    case 'number':
      return /^-?\d+(\.\d+)?$/.test(text) ? [] : [`query parameter ${name}=${text} is not a number`];
    case 'array':
      return schema.items ? parameterProblems(validator, name, schema.items, text) : [];
    default:
      return [];
  }
}
