// Small checks for exactly the fields of Synapse's answers that the extension reads, so a wrong
// shape ({}, null, {"results":null}, a number where a string belongs) is reported naming the
// field, instead of surfacing later as a TypeError. Fields nobody reads are not checked.
import type { ShapeExpectation } from './errors';

/** Thrown by the checks; the transport turns it into a SynapseError naming the endpoint. */
export class ShapeProblem extends Error {
  constructor(
    /** Where in the answer, e.g. results[3].id; '' for the answer itself. */
    readonly field: string,
    readonly expected: ShapeExpectation,
  ) {
    super(`${field || 'the answer'} is not a ${expected}`);
    this.name = 'ShapeProblem';
  }
}

export type JsonObject = Record<string, unknown>;

const fieldName = (at: string, key: string): string => (at ? `${at}.${key}` : key);

export function object(value: unknown, at = ''): JsonObject {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw new ShapeProblem(at, 'object');
  return value as JsonObject;
}

export function string(o: JsonObject, key: string, at = ''): string {
  const value = o[key];
  if (typeof value !== 'string') throw new ShapeProblem(fieldName(at, key), 'string');
  return value;
}

/** Absent and null both mean "not given" (Synapse leaves nulls out, a proxy may not). */
export function optionalString(o: JsonObject, key: string, at = ''): string | undefined {
  const value = o[key];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string') throw new ShapeProblem(fieldName(at, key), 'string');
  return value;
}

export function boolean(o: JsonObject, key: string, at = ''): boolean {
  const value = o[key];
  if (typeof value !== 'boolean') throw new ShapeProblem(fieldName(at, key), 'boolean');
  return value;
}

export function optionalBoolean(o: JsonObject, key: string, at = ''): boolean | undefined {
  const value = o[key];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'boolean') throw new ShapeProblem(fieldName(at, key), 'boolean');
  return value;
}

export function optionalNumber(o: JsonObject, key: string, at = ''): number | undefined {
  const value = o[key];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'number' || !Number.isFinite(value)) throw new ShapeProblem(fieldName(at, key), 'number');
  return value;
}

/** A required list whose every item passes `item` (which gets the item's field name, e.g. results[2]). */
export function list<T>(o: JsonObject, key: string, item: (value: unknown, at: string) => T, at = ''): T[] {
  const value = o[key];
  const field = fieldName(at, key);
  if (!Array.isArray(value)) throw new ShapeProblem(field, 'list');
  return value.map((entry, index) => item(entry, `${field}[${index}]`));
}

export function optionalList<T>(o: JsonObject, key: string, item: (value: unknown, at: string) => T, at = ''): T[] | undefined {
  if (o[key] === undefined || o[key] === null) return undefined;
  return list(o, key, item, at);
}

/** A list item that must be a string. */
export const stringItem = (value: unknown, at: string): string => {
  if (typeof value !== 'string') throw new ShapeProblem(at, 'string');
  return value;
};
