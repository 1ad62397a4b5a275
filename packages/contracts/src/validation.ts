/**
 * Turns TypeBox's first validation error into `{ field, message }` with a dotted field path, the shape
 * the API reports (`spec.training.learningRate`).
 */
import type { TSchema } from '@sinclair/typebox';
import { Value, ValueErrorType, type ValueError } from '@sinclair/typebox/value';

export interface FieldError {
  /** dotted path, e.g. spec.training.learningRate or alerts[0].threshold */
  field: string;
  message: string;
}

/** JSON pointer (`/training/learningRate`, `/alerts/0/metric`) -> `training.learningRate`, `alerts[0].metric` */
export function pointerToDotted(pointer: string, root = ''): string {
  let out = root;
  for (const raw of pointer.split('/').slice(1)) {
    const seg = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    if (/^\d+$/.test(seg)) out += `[${seg}]`;
    else out += out === '' ? seg : `.${seg}`;
  }
  return out;
}

function describe(value: unknown): string {
  if (value === undefined) return 'nothing';
  const s = JSON.stringify(value);
  return s === undefined ? String(value) : s.length > 60 ? `${s.slice(0, 57)}...` : s;
}

function literalOptions(schema: TSchema): unknown[] | undefined {
  const variants = (schema as { anyOf?: TSchema[] }).anyOf;
  if (!variants || !variants.every((v) => 'const' in v)) return undefined;
  return variants.map((v) => (v as unknown as { const: unknown }).const);
}

/** A readable sentence for one TypeBox error (its default messages say "Expected ..." without the value). */
export function formatValueError(e: ValueError, field: string): string {
  const s = e.schema as Record<string, unknown>;
  const got = `got ${describe(e.value)}`;
  switch (e.type) {
    case ValueErrorType.ObjectRequiredProperty:
      return `${field} is required`;
    case ValueErrorType.ObjectAdditionalProperties:
      return `${field} is not a known field`;
    case ValueErrorType.NumberExclusiveMinimum:
    case ValueErrorType.IntegerExclusiveMinimum:
      return `${field} must be greater than ${s.exclusiveMinimum} (${got})`;
    case ValueErrorType.NumberMinimum:
    case ValueErrorType.IntegerMinimum:
      return `${field} must be at least ${s.minimum} (${got})`;
    case ValueErrorType.NumberExclusiveMaximum:
    case ValueErrorType.IntegerExclusiveMaximum:
      return `${field} must be less than ${s.exclusiveMaximum} (${got})`;
    case ValueErrorType.NumberMaximum:
    case ValueErrorType.IntegerMaximum:
      return `${field} must be at most ${s.maximum} (${got})`;
    case ValueErrorType.Integer:
      return `${field} must be an integer (${got})`;
    case ValueErrorType.Number:
      return `${field} must be a finite number (${got})`;
    case ValueErrorType.String:
      return `${field} must be a string (${got})`;
    case ValueErrorType.Boolean:
      return `${field} must be true or false (${got})`;
    case ValueErrorType.Object:
      return `${field} must be an object (${got})`;
    case ValueErrorType.Array:
      return `${field} must be an array (${got})`;
    case ValueErrorType.StringMinLength:
      return s.minLength === 1 ? `${field} must not be empty` : `${field} must be at least ${s.minLength} characters`;
    case ValueErrorType.StringMaxLength:
      return `${field} must be at most ${s.maxLength} characters`;
    case ValueErrorType.StringPattern:
      return typeof s.description === 'string' ? `${field}: ${s.description} (${got})` : `${field} has the wrong form (${got})`;
    case ValueErrorType.ArrayMinItems:
      return `${field} must have at least ${s.minItems} item(s)`;
    case ValueErrorType.ArrayMaxItems:
      return `${field} must have at most ${s.maxItems} items`;
    case ValueErrorType.Literal:
      return `${field} must be ${JSON.stringify(s.const)} (${got})`;
    case ValueErrorType.Union: {
      const options = literalOptions(e.schema);
      if (options) return `${field} must be one of ${options.map((o) => JSON.stringify(o)).join(', ')} (${got})`;
      return `${field} is not valid (${got})`;
    }
    default:
      return `${field}: ${e.message} (${got})`;
  }
}

/** First error of `value` against `schema`, or undefined when valid. `root` prefixes the field path. */
export function firstError(schema: TSchema, value: unknown, root = ''): FieldError | undefined {
  const first = Value.Errors(schema, value).First();
  if (!first) return undefined;
  const field = pointerToDotted(first.path, root) || root || '(root)';
  return { field, message: formatValueError(first, field) };
}
