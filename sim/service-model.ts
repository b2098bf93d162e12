import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * A small validator for the botocore service models (`service-2.json`): it walks an operation's output or
 * error shape and reports every way a JSON body departs from it — a member the shape does not have, a missing
 * required member, a wrong type, a value outside an enum, a string or list outside its length bounds, a
 * pattern mismatch. Members bound to the HTTP envelope (`location`: header, uri, querystring, statusCode) are
 * not part of the body. Used by the simulator's conformance test.
 */

export interface Shape {
  type: string;
  members?: Record<string, { shape: string; location?: string; locationName?: string }>;
  required?: string[];
  member?: { shape: string };
  key?: { shape: string };
  value?: { shape: string };
  enum?: string[];
  min?: number;
  max?: number;
  pattern?: string;
  timestampFormat?: string;
  error?: { httpStatusCode?: number };
  exception?: boolean;
}

export interface Operation {
  name: string;
  http: { method: string; requestUri: string; responseCode?: number };
  input?: { shape: string };
  output?: { shape: string };
  errors?: { shape: string }[];
}

export interface ServiceModel {
  metadata: { protocol: string; serviceId: string };
  operations: Record<string, Operation>;
  shapes: Record<string, Shape>;
}

const SHARED = new URL('../../shared/aws/models/', import.meta.url).pathname;
const VENDORED = new URL('./models/', import.meta.url).pathname;

/** A model from ../shared/aws/models when present, else the copy vendored in sim/models. */
export function loadServiceModel(
  file: 'drs_2020-02-26_service-2.json' | 'backup_2018-11-15_service-2.json',
): ServiceModel {
  const path = existsSync(join(SHARED, file)) ? join(SHARED, file) : join(VENDORED, file);
  return JSON.parse(readFileSync(path, 'utf8')) as ServiceModel;
}

export function shapeOf(model: ServiceModel, name: string): Shape {
  const shape = model.shapes[name];
  if (!shape) throw new Error(`the ${model.metadata.serviceId} model has no shape ${name}`);
  return shape;
}

/** Problems of `value` as the JSON body of shape `shapeName` (empty: it conforms). */
export function validateBody(model: ServiceModel, shapeName: string, value: unknown, path = '$'): string[] {
  const shape = shapeOf(model, shapeName);
  const problems: string[] = [];
  const fail = (message: string) => problems.push(`${path}: ${message}`);
  switch (shape.type) {
    case 'structure': {
      if (typeof value !== 'object' || value === null || Array.isArray(value)) {
        fail(`expected an object (${shapeName})`);
        break;
      }
      const record = value as Record<string, unknown>;
      const members = shape.members ?? {};
      for (const key of Object.keys(record)) {
        const member = members[key];
        if (!member) fail(`unknown member "${key}" (${shapeName})`);
        else if (member.location) fail(`member "${key}" belongs in the ${member.location}, not the body`);
      }
      for (const required of shape.required ?? []) {
        if (members[required]?.location) continue;
        if (record[required] === undefined) fail(`missing required member "${required}" (${shapeName})`);
      }
      for (const [key, member] of Object.entries(members)) {
        if (member.location || record[key] === undefined || record[key] === null) continue;
        problems.push(...validateBody(model, member.shape, record[key], `${path}.${key}`));
      }
      break;
    }
    case 'list': {
      if (!Array.isArray(value)) {
        fail(`expected a list (${shapeName})`);
        break;
      }
      bounds(shape, value.length, 'length', fail);
      value.forEach((item, index) => {
        problems.push(...validateBody(model, shape.member?.shape ?? '', item, `${path}[${index}]`));
      });
      break;
    }
    case 'map': {
      if (typeof value !== 'object' || value === null || Array.isArray(value)) {
        fail(`expected a map (${shapeName})`);
        break;
      }
      for (const [key, item] of Object.entries(value)) {
        problems.push(...validateBody(model, shape.key?.shape ?? '', key, `${path}{key ${key}}`));
        problems.push(...validateBody(model, shape.value?.shape ?? '', item, `${path}.${key}`));
      }
      break;
    }
    case 'string': {
      if (typeof value !== 'string') {
        fail(`expected a string (${shapeName})`);
        break;
      }
      if (shape.enum && !shape.enum.includes(value))
        fail(`"${value}" is not one of ${shape.enum.join('|')} (${shapeName})`);
      bounds(shape, value.length, 'length', fail);
      if (shape.pattern) {
        let pattern: RegExp | undefined;
        try {
          pattern = new RegExp(shape.pattern, 'u');
        } catch {
          pattern = undefined;
        }
        if (pattern && !pattern.test(value))
          fail(`"${value}" does not match ${shape.pattern} (${shapeName})`);
      }
      break;
    }
    case 'integer':
    case 'long':
      if (typeof value !== 'number' || !Number.isInteger(value)) fail(`expected an integer (${shapeName})`);
      else bounds(shape, value, 'value', fail);
      break;
    case 'float':
    case 'double':
      if (typeof value !== 'number') fail(`expected a number (${shapeName})`);
      break;
    case 'boolean':
      if (typeof value !== 'boolean') fail(`expected a boolean (${shapeName})`);
      break;
    case 'timestamp':
      // REST-JSON bodies carry timestamps as epoch seconds unless the shape says otherwise.
      if (shape.timestampFormat === 'iso8601') {
        if (typeof value !== 'string' || Number.isNaN(Date.parse(value)))
          fail(`expected an ISO-8601 timestamp (${shapeName})`);
      } else if (typeof value !== 'number') fail(`expected epoch seconds (${shapeName})`);
      break;
    case 'blob':
      if (typeof value !== 'string') fail(`expected base64 text (${shapeName})`);
      break;
    default:
      fail(`shape type ${shape.type} is not checked (${shapeName})`);
  }
  return problems;
}

function bounds(shape: Shape, actual: number, what: string, fail: (message: string) => void): void {
  if (shape.min !== undefined && actual < shape.min)
    fail(`${what} ${actual} is below the minimum ${shape.min}`);
  if (shape.max !== undefined && actual > shape.max)
    fail(`${what} ${actual} is above the maximum ${shape.max}`);
}

/** The HTTP status AWS answers an error shape with (botocore: `error.httpStatusCode`, default 400). */
export function errorStatus(model: ServiceModel, errorShape: string): number {
  return shapeOf(model, errorShape).error?.httpStatusCode ?? 400;
}

/** The request path of an operation, from its URI template with the given labels filled in. */
export function requestPath(operation: Operation, labels: Record<string, string> = {}): string {
  const [path = '', query] = operation.http.requestUri.split('?');
  const filled = path.replace(/\{([^}+]+)\+?\}/g, (_, name: string) => {
    const label = labels[name];
    if (label === undefined) throw new Error(`${operation.name}: no value for {${name}}`);
    return encodeURIComponent(label);
  });
  return query ? `${filled}?${query}` : filled;
}
