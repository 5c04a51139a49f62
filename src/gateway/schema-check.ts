/**
 * Checks a value against the gateway's JSON Schema (schema/guard.schema.json), so the file the
 * package publishes for editors and the check the service runs at start are one and the same.
 * It reads only the keywords that schema uses (draft-07: type, properties, required,
 * additionalProperties, items, enum, const, minimum, maximum, exclusiveMinimum, minLength,
 * minItems, pattern, anyOf, local $ref); a keyword it does not know is a bug in the schema,
 * reported at once rather than ignored. The answer is the first problem, with the path of the
 * field at fault, because one precise error is what someone fixing a file needs.
 */

export interface SchemaProblem {
  /** Where, as `verifier.jwks.timeout` or `routes[2].path`; empty for the whole document. */
  path: string;
  message: string;
}

export type Schema = { [keyword: string]: unknown };

const ANNOTATIONS = new Set(['$schema', '$id', 'title', 'description', 'default', 'definitions', 'examples']);
const KEYWORDS = new Set([
  'type', 'properties', 'required', 'additionalProperties', 'items', 'enum', 'const', 'minimum', 'maximum',
  'exclusiveMinimum', 'minLength', 'minItems', 'pattern', 'anyOf', '$ref',
]);

/** The first problem of `value` under `schema` (whose `definitions` `$ref`s point into), or undefined. */
export function checkAgainstSchema(value: unknown, root: Schema): SchemaProblem | undefined {
  return check(value, root, root, '');
}

function check(value: unknown, schema: Schema, root: Schema, path: string): SchemaProblem | undefined {
  for (const keyword of Object.keys(schema)) {
    if (!KEYWORDS.has(keyword) && !ANNOTATIONS.has(keyword)) throw new Error(`schema keyword ${keyword} is not supported`);
  }
  if (typeof schema.$ref === 'string') return check(value, resolve(schema.$ref, root), root, path);
  const problem = (message: string): SchemaProblem => ({ path, message });

  if (schema.anyOf !== undefined) return checkAnyOf(value, schema.anyOf as Schema[], root, path);
  if (schema.const !== undefined && value !== schema.const) return problem(`must be ${JSON.stringify(schema.const)}`);
  if (schema.enum !== undefined && !(schema.enum as unknown[]).includes(value)) {
    return problem(`must be one of ${(schema.enum as unknown[]).map((option) => JSON.stringify(option)).join(', ')}`);
  }
  if (schema.type !== undefined && !hasType(value, schema.type as string)) return problem(`must be ${describe(schema, root)}`);

  if (typeof value === 'string') {
    if (typeof schema.minLength === 'number' && value.length < schema.minLength) return problem('must not be empty');
    if (typeof schema.pattern === 'string' && !new RegExp(schema.pattern, 'u').test(value)) {
      return problem(`${JSON.stringify(value)} does not have the expected form (${schema.pattern})`);
    }
  }
  if (typeof value === 'number') {
    if (typeof schema.minimum === 'number' && value < schema.minimum) return problem(`must be at least ${schema.minimum}`);
    if (typeof schema.exclusiveMinimum === 'number' && value <= schema.exclusiveMinimum) return problem(`must be more than ${schema.exclusiveMinimum}`);
    if (typeof schema.maximum === 'number' && value > schema.maximum) return problem(`must be at most ${schema.maximum}`);
  }
  if (Array.isArray(value)) {
    if (typeof schema.minItems === 'number' && value.length < schema.minItems) return problem(`must hold at least ${schema.minItems} item(s)`);
    if (schema.items !== undefined) {
      for (const [index, item] of value.entries()) {
        const found = check(item, schema.items as Schema, root, `${path}[${index}]`);
        if (found) return found;
      }
    }
  }
  if (isObject(value)) return checkObject(value, schema, root, path);
  return undefined;
}

function checkObject(value: Record<string, unknown>, schema: Schema, root: Schema, path: string): SchemaProblem | undefined {
  const properties = (schema.properties ?? {}) as Record<string, Schema>;
  for (const name of (schema.required ?? []) as string[]) {
    if (value[name] === undefined) return { path: join(path, name), message: 'is required' };
  }
  for (const [name, field] of Object.entries(value)) {
    const fieldSchema = properties[name];
    if (fieldSchema === undefined) {
      if (schema.additionalProperties !== false) continue;
      const known = Object.keys(properties).filter((key) => key !== '$schema');
      return { path: join(path, name), message: `is not a known field; known: ${known.join(', ')}` };
    }
    const found = check(field, fieldSchema, root, join(path, name));
    if (found) return found;
  }
  return undefined;
}

/**
 * The value must match one of the forms. When exactly one form could be meant (the value has its
 * JSON type and the fields it requires), that form's own problem is the precise one to report.
 */
function checkAnyOf(value: unknown, options: Schema[], root: Schema, path: string): SchemaProblem | undefined {
  const problems: SchemaProblem[] = [];
  for (const option of options) {
    const found = check(value, option, root, path);
    if (!found) return undefined;
    problems.push(found);
  }
  const meant = options.map((option, index) => ({ option: deref(option, root), problem: problems[index] as SchemaProblem })).filter(({ option }) => couldBeMeant(value, option));
  if (meant.length === 1) return meant[0]!.problem;
  return { path, message: `must be ${options.map((option) => describe(option, root)).join(', or ')}` };
}

function couldBeMeant(value: unknown, schema: Schema): boolean {
  if (schema.type === undefined || !hasType(value, schema.type as string)) return false;
  if (!isObject(value)) return true;
  return ((schema.required ?? []) as string[]).every((name) => value[name] !== undefined);
}

/** A short English name of what a schema accepts, for messages. */
function describe(schema: Schema, root: Schema): string {
  const target = deref(schema, root);
  if (target.anyOf !== undefined) return (target.anyOf as Schema[]).map((option) => describe(option, root)).join(' or ');
  if (target.const !== undefined) return JSON.stringify(target.const);
  if (target.enum !== undefined) return `one of ${(target.enum as unknown[]).map((option) => JSON.stringify(option)).join(', ')}`;
  switch (target.type) {
    case 'string':
      return target.minLength ? 'a non-empty string' : 'a string';
    case 'array':
      return target.items ? `a list of ${plural(describe(target.items as Schema, root))}` : 'a list';
    case 'object':
      return target.required ? `an object with ${(target.required as string[]).join(', ')}` : 'an object';
    case 'integer':
      return 'an integer';
    case 'number':
      return 'a number';
    case 'boolean':
      return 'true or false';
    default:
      return 'a value';
  }
}

function plural(description: string): string {
  return description.replace(/^an? /, '').replace(/\b(string|object|number|integer|list)\b/, '$1s');
}

function hasType(value: unknown, type: string): boolean {
  switch (type) {
    case 'object':
      return isObject(value);
    case 'array':
      return Array.isArray(value);
    case 'string':
      return typeof value === 'string';
    case 'boolean':
      return typeof value === 'boolean';
    case 'number':
      return typeof value === 'number' && Number.isFinite(value);
    case 'integer':
      return Number.isInteger(value);
    default:
      throw new Error(`schema type ${type} is not supported`);
  }
}

function deref(schema: Schema, root: Schema): Schema {
  return typeof schema.$ref === 'string' ? deref(resolve(schema.$ref, root), root) : schema;
}

function resolve(ref: string, root: Schema): Schema {
  const match = /^#\/definitions\/([A-Za-z]+)$/.exec(ref);
  const target = match ? (root.definitions as Record<string, Schema> | undefined)?.[match[1] as string] : undefined;
  if (target === undefined) throw new Error(`schema reference ${ref} does not resolve`);
  return target;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function join(path: string, name: string): string {
  return path === '' ? name : `${path}.${name}`;
}
