import { loadAwsServiceSpec } from '@aws-cdk/aws-service-spec';
import type { SpecDatabase } from '@aws-cdk/service-spec-types';

type PropertyType = {
  type: string;
  element?: PropertyType;
  reference?: { $ref: string };
  types?: PropertyType[];
};
type Properties = Record<string, { required?: boolean; type: PropertyType; previousTypes?: PropertyType[] }>;

let database: Promise<SpecDatabase> | undefined;

const INTRINSICS = new Set([
  'Ref',
  'Fn::GetAtt',
  'Fn::Sub',
  'Fn::Join',
  'Fn::If',
  'Fn::Select',
  'Fn::Split',
  'Fn::ImportValue',
  'Fn::FindInMap',
  'Fn::Base64',
  'Fn::GetAZs',
  'Fn::Cidr',
  'Fn::ToJsonString',
]);

function isIntrinsic(value: unknown): boolean {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const keys = Object.keys(value);
  return keys.length === 1 && INTRINSICS.has(keys[0] ?? '');
}

/**
 * Checks a template against the CloudFormation resource specification (@aws-cdk/aws-service-spec): every
 * resource type exists, every property exists (recursively, through nested property types), required
 * properties are present, and scalar values have the right JSON type. Returns one message per problem.
 */
export async function validateAgainstSpec(
  resources: Record<string, { Type: string; Properties?: Record<string, unknown> }>,
): Promise<string[]> {
  database ??= loadAwsServiceSpec();
  const db = await database;
  const problems: string[] = [];

  const checkValue = (path: string, value: unknown, types: PropertyType[]) => {
    if (isIntrinsic(value)) return;
    const errors: string[] = [];
    for (const type of types) {
      const before = problems.length;
      const local: string[] = [];
      checkAgainst(path, value, type, local);
      problems.length = before;
      if (local.length === 0) return;
      errors.push(...local);
    }
    problems.push(...errors.slice(0, 3));
  };

  const checkProperties = (path: string, value: unknown, properties: Properties, out: string[]) => {
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      out.push(`${path}: expected an object`);
      return;
    }
    for (const [name, property] of Object.entries(properties)) {
      if (property.required && !(name in value)) out.push(`${path}.${name}: required property missing`);
    }
    for (const [name, child] of Object.entries(value)) {
      const property = properties[name];
      if (!property) {
        out.push(`${path}.${name}: no such property in the CloudFormation specification`);
        continue;
      }
      const before = problems.length;
      checkValue(`${path}.${name}`, child, [property.type, ...(property.previousTypes ?? [])]);
      out.push(...problems.splice(before));
    }
  };

  const checkAgainst = (path: string, value: unknown, type: PropertyType, out: string[]) => {
    if (isIntrinsic(value)) return;
    switch (type.type) {
      case 'string':
        if (typeof value !== 'string') out.push(`${path}: expected a string`);
        return;
      case 'number':
      case 'integer':
        if (
          typeof value !== 'number' &&
          !(typeof value === 'string' && value.trim() !== '' && !Number.isNaN(Number(value)))
        )
          out.push(`${path}: expected a number`);
        return;
      case 'boolean':
        if (typeof value !== 'boolean' && value !== 'true' && value !== 'false')
          out.push(`${path}: expected a boolean`);
        return;
      case 'json':
      case 'date-time':
      case 'null':
        return;
      case 'tag':
        checkProperties(
          path,
          value,
          {
            Key: { required: true, type: { type: 'string' } },
            Value: { required: true, type: { type: 'string' } },
          },
          out,
        );
        return;
      case 'array':
        if (!Array.isArray(value)) out.push(`${path}: expected an array`);
        else if (type.element) {
          for (const [index, item] of value.entries())
            checkAgainst(`${path}[${index}]`, item, type.element, out);
        }
        return;
      case 'map':
        if (typeof value !== 'object' || value === null || Array.isArray(value))
          out.push(`${path}: expected a map`);
        else
          for (const [key, item] of Object.entries(value))
            if (type.element) checkAgainst(`${path}.${key}`, item, type.element, out);
        return;
      case 'ref': {
        const definition = db.get('typeDefinition', type.reference?.$ref ?? '') as unknown as {
          properties: Properties;
        };
        checkProperties(path, value, definition.properties, out);
        return;
      }
      case 'union': {
        const alternatives = type.types ?? [];
        const results = alternatives.map((alternative) => {
          const local: string[] = [];
          checkAgainst(path, value, alternative, local);
          return local;
        });
        if (!results.some((local) => local.length === 0))
          out.push(...(results[0] ?? [`${path}: matches no alternative`]));
        return;
      }
      default:
        return;
    }
  };

  for (const [logicalId, resource] of Object.entries(resources)) {
    const found = db.lookup('resource', 'cloudFormationType', 'equals', resource.Type);
    if (found.length !== 1) {
      problems.push(`${logicalId}: unknown resource type ${resource.Type}`);
      continue;
    }
    const spec = found[0] as unknown as { properties: Properties };
    const local: string[] = [];
    checkProperties(`${logicalId}(${resource.Type})`, resource.Properties ?? {}, spec.properties, local);
    problems.push(...local);
  }
  return problems;
}
