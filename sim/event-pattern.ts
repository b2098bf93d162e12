/**
 * EventBridge event-pattern matching, for the operators dr-autopilot's rules use and a little more:
 * exact values (string, number, boolean, null), `prefix`, `suffix`, `anything-but` (values, or a
 * `prefix`/`suffix`), `numeric`, `exists`, `equals-ignore-case`, `wildcard`, and `$or`.
 * Semantics follow the EventBridge user guide ("Event patterns", "Comparison operators"):
 * - every field named in the pattern must match; fields the pattern does not name are ignored;
 * - a leaf is an array of alternatives: the field matches if any alternative matches;
 * - when the event value is an array, the field matches if any element matches;
 * - `{"exists": false}` matches when the field is absent (null counts as present).
 * Unknown operators throw, so a rule using something this matcher cannot judge fails loudly in tests.
 */
export type Pattern = { [key: string]: unknown };

export function matchesPattern(pattern: Pattern, event: unknown): boolean {
  return matchObject(pattern, event);
}

function matchObject(pattern: Pattern, value: unknown): boolean {
  for (const [key, rule] of Object.entries(pattern)) {
    if (key === '$or') {
      if (!Array.isArray(rule)) throw new Error('$or must be an array of patterns');
      if (!rule.some((branch) => matchObject(branch as Pattern, value))) return false;
      continue;
    }
    const field = isRecord(value) ? value[key] : undefined;
    const present = isRecord(value) && key in value;
    if (Array.isArray(rule)) {
      if (!matchLeaf(rule, field, present)) return false;
    } else if (isRecord(rule)) {
      if (!isRecord(field)) {
        // A nested pattern may still be satisfied by `exists: false` leaves below it.
        if (!matchObject(rule, undefined)) return false;
      } else if (!matchObject(rule, field)) return false;
    } else {
      throw new Error(`pattern field "${key}" must be an array or an object`);
    }
  }
  return true;
}

function matchLeaf(alternatives: unknown[], field: unknown, present: boolean): boolean {
  const values = Array.isArray(field) ? field : [field];
  return alternatives.some((alternative) => {
    if (isRecord(alternative) && 'exists' in alternative) {
      return alternative.exists === (present && field !== undefined);
    }
    if (!present || field === undefined) return false;
    return values.some((value) => matchValue(alternative, value));
  });
}

function matchValue(alternative: unknown, value: unknown): boolean {
  if (!isRecord(alternative)) return alternative === value;
  const [operator, operand] = Object.entries(alternative)[0] ?? [];
  switch (operator) {
    case 'prefix':
      return typeof value === 'string' && affix(operand, value, 'start');
    case 'suffix':
      return typeof value === 'string' && affix(operand, value, 'end');
    case 'equals-ignore-case':
      return (
        typeof value === 'string' &&
        typeof operand === 'string' &&
        value.toLowerCase() === operand.toLowerCase()
      );
    case 'wildcard':
      return typeof value === 'string' && typeof operand === 'string' && wildcard(operand).test(value);
    case 'anything-but':
      return anythingBut(operand, value);
    case 'numeric':
      return typeof value === 'number' && numeric(operand as unknown[], value);
    case 'cidr':
      throw new Error('the "cidr" operator is not supported by this matcher');
    default:
      throw new Error(`unknown event pattern operator "${String(operator)}"`);
  }
}

/** `prefix`/`suffix` take a string, or `{"equals-ignore-case": string}` for a case-insensitive test. */
function affix(operand: unknown, value: string, at: 'start' | 'end'): boolean {
  let text: string;
  let subject = value;
  if (typeof operand === 'string') text = operand;
  else if (isRecord(operand) && typeof operand['equals-ignore-case'] === 'string') {
    text = operand['equals-ignore-case'].toLowerCase();
    subject = value.toLowerCase();
  } else throw new Error('prefix/suffix take a string or {"equals-ignore-case": string}');
  return at === 'start' ? subject.startsWith(text) : subject.endsWith(text);
}

function anythingBut(operand: unknown, value: unknown): boolean {
  if (value === undefined) return false;
  if (Array.isArray(operand)) return !operand.includes(value);
  if (isRecord(operand)) {
    if (typeof operand.prefix === 'string')
      return typeof value === 'string' && !value.startsWith(operand.prefix);
    if (typeof operand.suffix === 'string')
      return typeof value === 'string' && !value.endsWith(operand.suffix);
    throw new Error('anything-but takes values, or a prefix or suffix');
  }
  return operand !== value;
}

function numeric(conditions: unknown[], value: number): boolean {
  for (let index = 0; index < conditions.length; index += 2) {
    const operator = conditions[index];
    const bound = Number(conditions[index + 1]);
    const ok =
      operator === '='
        ? value === bound
        : operator === '<'
          ? value < bound
          : operator === '<='
            ? value <= bound
            : operator === '>'
              ? value > bound
              : operator === '>='
                ? value >= bound
                : undefined;
    if (ok === undefined) throw new Error(`unknown numeric operator "${String(operator)}"`);
    if (!ok) return false;
  }
  return true;
}

function wildcard(pattern: string): RegExp {
  const escaped = pattern.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*');
  return new RegExp(`^${escaped}$`, 's');
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
