// A small JSON Schema (2020-12 subset) validator for the editors: $ref to
// local $defs, allOf/anyOf/oneOf/not, type, const, enum, string, number,
// array and object keywords. Each error names the path of the mistake.

export interface SchemaError {
  path: string;
  message: string;
}

type Path = (string | number)[];
interface Err {
  path: Path;
  message: string;
  constOf?: unknown;
}

export function validate(schema: any, value: unknown): SchemaError[] {
  const seen = new Set<string>();
  return check(schema, value, [], schema)
    .map((e) => ({ path: showPath(e.path), message: e.message }))
    .filter((e) => {
      const k = `${e.path}\u0000${e.message}`;
      if (seen.has(k)) return false;
      seen.add(k);
      return true;
    });
}

export function showPath(path: Path): string {
  if (!path.length) return '(top level)';
  return path.map((p, i) => (typeof p === 'number' ? `[${p}]` : i === 0 ? p : `.${p}`)).join('');
}

function resolve(root: any, ref: string): any {
  if (!ref.startsWith('#')) return true;
  return ref
    .slice(2)
    .split('/')
    .filter(Boolean)
    .reduce((o, k) => o?.[k.replace(/~1/g, '/').replace(/~0/g, '~')], root);
}

function typeOf(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  if (typeof v === 'number') return Number.isInteger(v) ? 'integer' : 'number';
  return typeof v;
}

function isType(v: unknown, t: string): boolean {
  const actual = typeOf(v);
  return actual === t || (t === 'number' && actual === 'integer');
}

function equal(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

function show(v: unknown): string {
  return typeof v === 'string' ? `'${v}'` : JSON.stringify(v);
}

/** The errors of the branch that got furthest (deepest first error), fewest errors on ties. */
function best(branches: Err[][]): Err[] {
  const depth = (errs: Err[]) => Math.min(...errs.map((e) => e.path.length));
  let chosen = branches[0];
  for (const b of branches.slice(1)) {
    const d = depth(b);
    const c = depth(chosen);
    if (d > c || (d === c && b.length < chosen.length)) chosen = b;
  }
  // Every branch refused a constant at the same place (a typo in a
  // discriminator such as "strategy"): name every allowed value at once.
  const constErr = chosen.find((e) => 'constOf' in e);
  if (constErr) {
    const at = showPath(constErr.path);
    const values = branches.flatMap((b) => b.filter((e) => 'constOf' in e && showPath(e.path) === at).map((e) => e.constOf));
    if (values.length > 1)
      return [
        ...chosen.filter((e) => e !== constErr),
        { path: constErr.path, message: `must be one of ${values.map(show).join(', ')}` },
      ];
  }
  return chosen;
}

function check(s: any, v: any, path: Path, root: any): Err[] {
  if (s === true || s === undefined || s === null) return [];
  if (s === false) return [{ path, message: 'is not allowed here' }];
  const errs: Err[] = [];
  const err = (message: string, at = path, extra: Partial<Err> = {}) => errs.push({ path: at, message, ...extra });

  if (s.$ref) errs.push(...check(resolve(root, s.$ref), v, path, root));

  if (s.type) {
    const types: string[] = Array.isArray(s.type) ? s.type : [s.type];
    if (!types.some((t) => isType(v, t))) {
      err(`must be ${types.map((t) => (t === 'object' ? 'an object' : t === 'array' ? 'an array' : `a ${t}`)).join(' or ')}, not ${typeOf(v)}`);
      return errs;
    }
  }
  if ('const' in s && !equal(v, s.const)) err(`must be ${show(s.const)}`, path, { constOf: s.const });
  if (s.enum && !s.enum.some((e: unknown) => equal(e, v))) err(`must be one of ${s.enum.map(show).join(', ')}`);

  if (typeof v === 'string') {
    if (s.minLength !== undefined && v.length < s.minLength) err(s.minLength === 1 ? 'must not be empty' : `must be at least ${s.minLength} characters`);
    if (s.maxLength !== undefined && v.length > s.maxLength) err(`must be at most ${s.maxLength} characters`);
    if (s.pattern && !new RegExp(s.pattern, 'u').test(v)) err(`must match ${s.pattern}`);
  }
  if (typeof v === 'number') {
    if (s.minimum !== undefined && v < s.minimum) err(`must be at least ${s.minimum}`);
    if (s.maximum !== undefined && v > s.maximum) err(`must be at most ${s.maximum}`);
    if (s.exclusiveMinimum !== undefined && v <= s.exclusiveMinimum) err(`must be greater than ${s.exclusiveMinimum}`);
    if (s.exclusiveMaximum !== undefined && v >= s.exclusiveMaximum) err(`must be less than ${s.exclusiveMaximum}`);
  }
  if (Array.isArray(v)) {
    if (s.minItems !== undefined && v.length < s.minItems) err(`must have at least ${s.minItems} item${s.minItems === 1 ? '' : 's'}`);
    if (s.maxItems !== undefined && v.length > s.maxItems) err(`must have at most ${s.maxItems} items`);
    if (s.items !== undefined) v.forEach((item, i) => errs.push(...check(s.items, item, [...path, i], root)));
  }
  if (v && typeof v === 'object' && !Array.isArray(v)) {
    for (const r of s.required ?? []) if (!(r in v)) err(`'${r}' is required`);
    const props = s.properties ?? {};
    for (const [k, sub] of Object.entries(props)) if (k in v) errs.push(...check(sub, v[k], [...path, k], root));
    if (s.additionalProperties !== undefined && s.additionalProperties !== true) {
      for (const k of Object.keys(v)) {
        if (k in props) continue;
        if (s.additionalProperties === false) err(`unknown field '${k}'`, [...path, k]);
        else errs.push(...check(s.additionalProperties, v[k], [...path, k], root));
      }
    }
  }

  for (const sub of s.allOf ?? []) errs.push(...check(sub, v, path, root));
  if (s.anyOf) {
    const results = s.anyOf.map((sub: any) => check(sub, v, path, root));
    if (!results.some((r: Err[]) => r.length === 0)) errs.push(...best(results));
  }
  if (s.oneOf) {
    const results = s.oneOf.map((sub: any) => check(sub, v, path, root));
    const passing = results.filter((r: Err[]) => r.length === 0).length;
    if (passing === 0) errs.push(...best(results));
    else if (passing > 1) err('matches more than one of the allowed shapes');
  }
  if (s.not && check(s.not, v, path, root).length === 0) err(s.not.anyOf ? 'has a field that is not allowed here' : 'is not allowed here');
  return errs;
}

/** JSON.parse with the error's line and column. */
export function parseJson(text: string): { value?: unknown; error?: string } {
  try {
    return { value: JSON.parse(text) };
  } catch (e: any) {
    const msg = String(e?.message ?? e);
    const m = /position (\d+)/.exec(msg);
    if (m && !/line \d+/.test(msg)) {
      const pos = Number(m[1]);
      const before = text.slice(0, pos).split('\n');
      return { error: `${msg} (line ${before.length}, column ${before[before.length - 1].length + 1})` };
    }
    return { error: msg };
  }
}
