import type * as z from 'zod/mini';

/**
 * The wording of zod's own issues, for configuration errors and refused events: an error map, given to the parse
 * (`{ error: issueWording(schema) }`), that writes each as a sentence saying what is accepted (`must be a whole
 * number`, `unknown key "Ec2" (did you mean "EC2"?)`). Our own messages (`must be an SNS topic ARN`) are never
 * passed to it. The bundles use zod/mini, which carries no locale (every issue of its own would read `Invalid
 * input`), and the classic locale's wording (`Too small: expected number to be >=1`) named zod's terms rather
 * than what to give. The map sees the value (raw issues hold it), so it can tell a missing field from a mistyped
 * one without the parse keeping the value in the issues.
 */
export function issueWording(schema: z.core.$ZodType): z.core.$ZodErrorMap {
  return (issue) => describeIssue(schema, issue);
}

const EXPECTED: Record<string, string> = {
  int: 'a whole number',
  number: 'a number',
  boolean: 'true or false',
  string: 'a string',
  object: 'an object {…}',
  array: 'a list […]',
  record: 'an object {…}',
  null: 'null',
};

const FORMATS: Record<string, string> = {
  datetime: 'an ISO-8601 date and time such as 2026-01-31T12:00:00Z',
  date: 'an ISO-8601 date such as 2026-01-31',
  duration: 'an ISO-8601 duration such as PT15M',
};

const quoted = (values: readonly unknown[]) => values.map((value) => JSON.stringify(value)).join(', ');

function describeIssue(schema: z.core.$ZodType, issue: z.core.$ZodRawIssue): string {
  switch (issue.code) {
    case 'unrecognized_keys': {
      const accepted = Object.keys(objectShapeAt(schema, issue.path ?? []) ?? {});
      const meant = issue.keys.flatMap((key) =>
        accepted.filter((candidate) => candidate.toLowerCase() === key.toLowerCase()),
      );
      return `unknown key${issue.keys.length > 1 ? 's' : ''} ${quoted(issue.keys)}${meant.length > 0 ? ` (did you mean ${quoted(meant)}?)` : ''}${accepted.length > 0 ? `; accepted: ${accepted.join(', ')}` : ''}`;
    }
    case 'invalid_value':
      return `must be ${issue.values.length === 1 ? quoted(issue.values) : `one of ${quoted(issue.values)}`}`;
    case 'invalid_type':
      return issue.input === undefined
        ? 'is required'
        : `must be ${EXPECTED[issue.expected] ?? issue.expected}`;
    case 'too_small':
    case 'too_big':
      return describeBound(issue);
    case 'invalid_format':
      if (issue.format === 'regex' && issue.pattern) return `must match ${issue.pattern}`;
      return `must be ${FORMATS[issue.format] ?? `in ${issue.format} format`}`;
    case 'invalid_union':
      return describeUnion(issue);
    default:
      return `is not valid (${issue.code.replaceAll('_', ' ')})`;
  }
}

function describeBound(
  issue: z.core.$ZodRawIssue<z.core.$ZodIssueTooSmall | z.core.$ZodIssueTooBig>,
): string {
  const bound = issue.code === 'too_small' ? issue.minimum : issue.maximum;
  if (issue.origin === 'string' && issue.code === 'too_small' && Number(bound) === 1)
    return 'must not be empty';
  const limit = issue.code === 'too_small' ? 'at least' : 'at most';
  if (issue.origin === 'string') return `must have ${limit} ${bound} characters`;
  if (issue.origin === 'array') return `must have ${limit} ${bound} items`;
  return issue.inclusive === false
    ? `must be ${issue.code === 'too_small' ? 'more' : 'less'} than ${bound}`
    : `must be ${limit} ${bound}`;
}

/** A union whose every branch failed on the type alone names the types; otherwise the value matched no form. */
function describeUnion(issue: z.core.$ZodRawIssue<z.core.$ZodIssueInvalidUnion>): string {
  const expected = issue.errors.map((errors) => {
    const [only] = errors;
    return errors.length === 1 && only?.code === 'invalid_type' && only.path.length === 0
      ? (EXPECTED[only.expected] ?? only.expected)
      : undefined;
  });
  if (expected.length === 0 || expected.some((text) => text === undefined)) {
    return 'matches none of the accepted forms';
  }
  return `must be ${expected.slice(0, -1).join(', ')}${expected.length > 1 ? ' or ' : ''}${expected.at(-1)}`;
}

/** The keys an object schema accepts at `path` (through defaults, optionals and pipes), if it is an object there. */
function objectShapeAt(
  schema: z.core.$ZodType,
  path: readonly PropertyKey[],
): Record<string, unknown> | undefined {
  let current: z.core.$ZodType | undefined = schema;
  let index = 0;
  while (current) {
    const def = current._zod.def as unknown as Record<string, unknown> & { type: string };
    if (def.type === 'pipe') current = def.out as z.core.$ZodType;
    else if (['optional', 'default', 'prefault', 'nullable', 'readonly', 'catch'].includes(def.type))
      current = def.innerType as z.core.$ZodType;
    else if (def.type !== 'object') return undefined;
    else if (index === path.length) return def.shape as Record<string, unknown>;
    else current = (def.shape as Record<string, z.core.$ZodType>)[String(path[index++])];
  }
  return undefined;
}
