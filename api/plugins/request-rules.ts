/**
 * What every request must be before a route sees it: one rule each, applied here for every route at once.
 *
 * - Text: no string in the headers, path, query or body (nor any key of it) holds NUL or an unpaired UTF-16
 *   surrogate. Postgres refuses NUL in text (the request would fail there, a 500), and a lone surrogate is no
 *   character at all (it would be stored as U+FFFD, not as sent). A raw body (Buffer: Stripe's signed events) is
 *   left as it came.
 * - Numbers: a number in the path, query or headers is written in plain decimal digits ("10", "-2.5"), and a
 *   number anywhere is finite; an integer stays within ±(2^53 - 1). "1e400", "0x10", " 5" and "Infinity" are
 *   refused, not read as Infinity or 16. Every numeric field of a request schema must declare its bounds (checked
 *   when the route is compiled), so an absurd number is a 400 here and not an overflow in the database.
 * - Types: a JSON body is taken as sent, never coerced (`true` is not the string "true", "1" is not 1); only the
 *   path, query and headers, which are text by nature, are read as the numbers their schema asks for.
 * - Bodies with fields a schema does not allow are refused (additionalProperties: false), not silently trimmed.
 */
import { Ajv, type ErrorObject, type Options, type ValidateFunction } from 'ajv';
import formats from 'ajv-formats';
import type { FastifyInstance, FastifySchema } from 'fastify';
import { HttpProblem, PROBLEM_TYPES } from './errors.ts';
import { isStorableText } from '../../core/text.ts';

type HttpPart = 'body' | 'querystring' | 'params' | 'headers';
type JsonSchema = Record<string, unknown>;

const AJV_OPTIONS: Options = { useDefaults: true, removeAdditional: false, allErrors: false, addUsedSchema: false };

function ajvWith(coerceTypes: Options['coerceTypes']): Ajv {
  const ajv = new Ajv({ ...AJV_OPTIONS, coerceTypes });
  formats.default(ajv);
  return ajv;
}

/** The JSON pointer of the first string or key in `value` that is not clean text; iterative, as bodies nest deep. */
function badTextAt(value: unknown): string | undefined {
  const pending: [unknown, string][] = [[value, '']];
  for (let next = pending.pop(); next !== undefined; next = pending.pop()) {
    const [item, pointer] = next;
    if (typeof item === 'string') {
      if (!isStorableText(item)) return pointer;
    } else if (typeof item === 'object' && item !== null && !Buffer.isBuffer(item)) {
      for (const [key, child] of Object.entries(item)) {
        const childPointer = `${pointer}/${key.replaceAll('~', '~0').replaceAll('/', '~1')}`;
        if (!isStorableText(key)) return childPointer;
        pending.push([child, childPointer]);
      }
    }
  }
  return undefined;
}

function refuseBadText(part: HttpPart, value: unknown): void {
  const pointer = badTextAt(value);
  if (pointer === undefined) return;
  const message = 'must not contain NUL or an unpaired UTF-16 surrogate';
  throw new HttpProblem(400, 'Bad Request', `${part}${pointer} ${message}`, `${PROBLEM_TYPES}validation`, [{ path: pointer, message }]);
}

const typesOf = (schema: JsonSchema): unknown[] => (Array.isArray(schema.type) ? schema.type : [schema.type]);
const isNumeric = (schema: JsonSchema) => typesOf(schema).some((type) => type === 'integer' || type === 'number');

/** Every schema nested in `schema` (itself included): properties, items, and the branches of a union. */
function* subschemas(schema: JsonSchema): Generator<JsonSchema> {
  yield schema;
  const children = [
    ...Object.values((schema.properties as Record<string, JsonSchema> | undefined) ?? {}),
    ...[schema.items, schema.additionalProperties, schema.not].flat(),
    ...[schema.anyOf, schema.oneOf, schema.allOf].flatMap((branches) => (Array.isArray(branches) ? branches : [])),
  ];
  for (const child of children) if (typeof child === 'object' && child !== null) yield* subschemas(child as JsonSchema);
}

/** Throws at boot for a numeric field without bounds (or an integer's beyond ±(2^53 - 1)), naming the route. */
function requireNumericBounds(schema: JsonSchema, where: string): void {
  for (const node of subschemas(schema)) {
    if (!isNumeric(node)) continue;
    const low = node.minimum ?? node.exclusiveMinimum;
    const high = node.maximum ?? node.exclusiveMaximum;
    const safe = !typesOf(node).includes('integer') || (Number(low) >= -Number.MAX_SAFE_INTEGER && Number(high) <= Number.MAX_SAFE_INTEGER);
    if (typeof low !== 'number' || typeof high !== 'number' || !safe) {
      throw new Error(`${where}: a numeric field needs a minimum and a maximum (integers within ±(2^53 - 1)) in its schema`);
    }
  }
}

const INTEGER_NUMERAL = /^-?\d+$/;
const DECIMAL_NUMERAL = /^-?\d+(\.\d+)?$/;

/** Whether `text` is a number written plainly, that reads as the finite (for integers, safe) number it says. */
function plainNumeral(text: string, integer: boolean): boolean {
  if (integer) return INTEGER_NUMERAL.test(text) && Number.isSafeInteger(Number(text));
  return DECIMAL_NUMERAL.test(text) && Number.isFinite(Number(text));
}

/** The fields of an object schema that take a number and no text (in any branch), and whether only whole ones. */
function numericFields(schema: JsonSchema): [name: string, integer: boolean][] {
  return Object.entries((schema.properties as Record<string, JsonSchema> | undefined) ?? {}).flatMap(([name, field]) => {
    const nodes = [...subschemas(field)];
    const numeric = nodes.filter(isNumeric);
    if (numeric.length === 0 || nodes.some((node) => typesOf(node).includes('string'))) return [];
    return [[name, numeric.every((node) => !typesOf(node).includes('number'))] as [string, boolean]];
  });
}

type Validator = ((data: unknown) => boolean) & { errors?: ErrorObject[] | null };

/**
 * Ajv's validator for a part that arrives as text, after checking its numeric fields are plain numerals: Ajv alone
 * would read "1e400" as Infinity (which then passes `maximum`) and "0x10" as 16.
 */
function withPlainNumerals(schema: JsonSchema, validate: ValidateFunction): Validator {
  const fields = numericFields(schema);
  if (fields.length === 0) return validate;
  const validator: Validator = (data) => {
    for (const [name, integer] of fields) {
      const value = (data as Record<string, unknown> | null)?.[name];
      if (typeof value === 'string' && !plainNumeral(value, integer)) {
        const kind = integer ? 'a whole number' : 'a number';
        validator.errors = [
          {
            instancePath: `/${name}`,
            schemaPath: `#/properties/${name}/type`,
            keyword: 'type',
            params: {},
            message: `must be ${kind} in plain digits, within its bounds`,
          },
        ];
        return false;
      }
    }
    const valid = validate(data);
    validator.errors = validate.errors;
    return valid;
  };
  return validator;
}

export function registerRequestRules(app: FastifyInstance): void {
  const bodies = ajvWith(false);
  // 'array': a repeated query key arrives as an array; one of one item is read as that item.
  const texts = ajvWith('array');
  app.setValidatorCompiler<FastifySchema>(({ schema, httpPart, method, url }) => {
    const json = schema as JsonSchema;
    requireNumericBounds(json, `${method} ${url} ${httpPart}`);
    return httpPart === 'body' ? bodies.compile(json) : withPlainNumerals(json, texts.compile(json));
  });
  app.addHook('onRequest', async (request) => {
    refuseBadText('headers', request.headers);
    refuseBadText('params', request.params);
    refuseBadText('querystring', request.query);
  });
  app.addHook('preValidation', async (request) => {
    refuseBadText('body', request.body);
  });
}
