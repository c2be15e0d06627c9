// A stand-in for a Workers Vectorize (V2) index binding, for the gateway in
// local workerd (a Miniflare wrapped binding) and for plain Node tests. It
// keeps to the documented behaviour and limits and throws the real binding's
// error messages, so a misuse fails here the way it would in production
// (https://developers.cloudflare.com/vectorize/reference/client-api/).
//
// Default export: (env) => index, where env holds the inner bindings:
//   indexName          state key: bindings naming the same index share vectors
//   dimensions         length of every vector (1..1536)
//   metric             'cosine' (default) | 'euclidean' | 'dot-product'
//   metadataIndexes    { property: 'string' | 'number' | 'boolean' }; filters
//                      see only these properties, as in production
//   processingDelayMs  optional: how long a mutation takes to become visible.
//                      0 (default) applies it at once; production takes seconds
//
// Not in the real API: describe() adds `fakeStats`, the number of calls of
// each method on this index so far (the describe() itself included) and
// `errors`, how many of all calls threw, so a test can check that the
// gateway really went through the binding.
//
// State lives in a module-level Map: it lasts as long as the isolate.
// No imports, so workerd can load it as a wrapped-binding module and Node
// can import it directly.

const MAX_DIMENSIONS = 1536;
const MAX_ID_BYTES = 64;
const MAX_NAMESPACE_BYTES = 64;
const MAX_METADATA_BYTES = 10 * 1024;
const MAX_METADATA_INDEXES = 10;
const MAX_BATCH = 1000;
const DEFAULT_TOP_K = 5;
const MAX_TOP_K = 100;
// The documented cap with returnValues or returnMetadata 'all'. Some live
// indexes have answered with 50 since; the lower figure is safe on both.
const MAX_TOP_K_WITH_PAYLOAD = 20;
// Not in the documentation, but what the service answers (code 40007).
const MAX_GET_IDS = 20;
const MAX_DELETE_IDS = 100;
const MAX_FILTER_BYTES = 2048;
const MAX_FILTER_KEY_CHARS = 512;
const INDEXED_STRING_BYTES = 64;

const METRICS = new Set(['cosine', 'euclidean', 'dot-product']);
const INDEX_TYPES = new Set(['string', 'number', 'boolean']);
const LEVELS = new Set(['none', 'indexed', 'all']);
const UPPER = new Set(['$lt', '$lte']);
const LOWER = new Set(['$gt', '$gte']);
const OPERATORS = new Set(['$eq', '$ne', '$in', '$nin', ...UPPER, ...LOWER]);
const METHODS = ['describe', 'query', 'queryById', 'insert', 'upsert', 'getByIds', 'deleteByIds'];

const encoder = new TextEncoder();
const decoder = new TextDecoder();
const byteLength = (s) => encoder.encode(s).length;

/** indexName → { vectors: Map<id, row>, pending mutations, stats, last processed mutation } */
const indexes = new Map();

function stateOf(name) {
  let state = indexes.get(name);
  if (!state) {
    const stats = Object.fromEntries(METHODS.map((m) => [m, 0]));
    state = { vectors: new Map(), pending: [], stats: { ...stats, errors: 0 }, processed: null };
    indexes.set(name, state);
  }
  return state;
}

/** The error the real binding throws for a non-200 answer of the service. */
function vectorizeError(operation, code, message) {
  return new Error(`${operation}_ERROR (code = ${code}): ${message}`, { cause: new Error(message) });
}

/**
 * What reaches the service: the real binding sends JSON, so undefined
 * fields vanish, NaN becomes null and a Map becomes {} — the fake judges
 * the same bytes production would.
 */
const wire = (value) => JSON.parse(JSON.stringify(value));

const isObject = (v) => typeof v === 'object' && v !== null && !Array.isArray(v);

/** The service parses strict UTF-8: a lone surrogate fails the whole request. */
function wellFormed(value) {
  if (typeof value === 'string') return value.isWellFormed();
  if (Array.isArray(value)) return value.every(wellFormed);
  if (isObject(value)) return Object.entries(value).every(([k, v]) => k.isWellFormed() && wellFormed(v));
  return true;
}

/** The longest well-formed prefix of at most `max` UTF-8 bytes. */
function truncateUtf8(s, max) {
  const bytes = encoder.encode(s);
  if (bytes.length <= max) return s;
  let cut = max;
  while (cut > 0 && (bytes[cut] & 0xc0) === 0x80) cut--;
  return decoder.decode(bytes.subarray(0, cut));
}

/** Strings order by their UTF-8 bytes, as the service stores them. */
function compare(a, b) {
  if (typeof a === 'number') return a < b ? -1 : a > b ? 1 : 0;
  const x = encoder.encode(a);
  const y = encoder.encode(b);
  for (let i = 0; i < Math.min(x.length, y.length); i++) if (x[i] !== y[i]) return x[i] - y[i];
  return x.length - y.length;
}

function readConfig(env = {}) {
  const problem = (what) => new Error(`fake Vectorize binding: ${what}`);
  const indexName = env.indexName;
  if (typeof indexName !== 'string' || indexName === '') throw problem('inner binding indexName must be a non-empty string');
  const dimensions = Number(env.dimensions);
  if (!Number.isInteger(dimensions) || dimensions < 1 || dimensions > MAX_DIMENSIONS) {
    throw problem(`dimensions must be an integer from 1 to ${MAX_DIMENSIONS}, got ${env.dimensions}`);
  }
  const metric = env.metric ?? 'cosine';
  if (!METRICS.has(metric)) throw problem(`metric must be one of ${[...METRICS].join(', ')}, got ${metric}`);
  const metadataIndexes = env.metadataIndexes ?? {};
  if (!isObject(metadataIndexes)) throw problem('metadataIndexes must be an object of property → type');
  const entries = Object.entries(metadataIndexes);
  if (entries.length > MAX_METADATA_INDEXES) throw problem(`at most ${MAX_METADATA_INDEXES} metadata indexes`);
  for (const [property, type] of entries) {
    if (!INDEX_TYPES.has(type)) throw problem(`metadata index ${property} has type ${type}; use string, number or boolean`);
  }
  const processingDelayMs = Number(env.processingDelayMs ?? 0);
  if (!(processingDelayMs >= 0)) throw problem('processingDelayMs must be a number ≥ 0');
  return { indexName, dimensions, metric, metadataIndexes: { ...metadataIndexes }, processingDelayMs };
}

/** Score of a stored vector against the query, as the index's metric defines it. */
function score(metric, q, v) {
  let dot = 0;
  let qq = 0;
  let vv = 0;
  let dist = 0;
  for (let i = 0; i < q.length; i++) {
    dot += q[i] * v[i];
    qq += q[i] * q[i];
    vv += v[i] * v[i];
    dist += (q[i] - v[i]) ** 2;
  }
  if (metric === 'cosine') return qq === 0 || vv === 0 ? 0 : dot / (Math.sqrt(qq) * Math.sqrt(vv));
  if (metric === 'euclidean') return Math.sqrt(dist);
  return -dot; // dot-product: the negated dot product, smaller is closer
}

/** Sort order, best first: cosine ranks high scores first, the others low. */
const ranking = (metric) => (metric === 'cosine' ? (a, b) => b - a : (a, b) => a - b);

/** The value of a (possibly dotted, i.e. nested) property as its metadata index holds it, or undefined. */
function indexedValue(metadata, path, type) {
  let v = metadata;
  for (const part of path.split('.')) {
    if (!isObject(v) || !Object.hasOwn(v, part)) return undefined;
    v = v[part];
  }
  if (typeof v !== type) return undefined; // a value of another type is not in the index
  return type === 'string' ? truncateUtf8(v, INDEXED_STRING_BYTES) : v;
}

function setPath(target, path, value) {
  const parts = path.split('.');
  let o = target;
  for (const part of parts.slice(0, -1)) o = o[part] ??= {};
  o[parts.at(-1)] = value;
}

/** Turns a query filter into a predicate over metadata; throws on a filter the service refuses. */
function compileFilter(filter, metadataIndexes) {
  const invalid = (what) => vectorizeError('VECTOR_QUERY', 40030, `invalid filter: ${what}`);
  if (!isObject(filter) || Object.keys(filter).length === 0) throw invalid('must be a non-empty object');
  const size = byteLength(JSON.stringify(filter));
  if (size >= MAX_FILTER_BYTES) throw invalid(`must be less than ${MAX_FILTER_BYTES} bytes as compact JSON, got ${size}`);
  const scalar = (v) => v === null || ['string', 'number', 'boolean'].includes(typeof v);

  const clauses = Object.entries(filter).map(([key, condition]) => {
    if (key === '' || key.includes('"') || key.startsWith('$') || key.length > MAX_FILTER_KEY_CHARS) {
      throw invalid(`key ${JSON.stringify(key)} is empty, contains '"', starts with '$' or is longer than ${MAX_FILTER_KEY_CHARS} characters`);
    }
    let ops;
    if (scalar(condition)) {
      ops = [['$eq', condition]]; // implicit equality
    } else if (isObject(condition)) {
      ops = Object.entries(condition);
      const names = ops.map(([op]) => op);
      const unknown = names.find((op) => !OPERATORS.has(op));
      if (unknown !== undefined) throw invalid(`unsupported operator ${unknown} on ${key}`);
      const rangePair = names.length === 2 && names.some((op) => UPPER.has(op)) && names.some((op) => LOWER.has(op));
      if (names.length === 0 || (names.length > 1 && !rangePair)) {
        throw invalid(`operators [${names.join(', ')}] on ${key}: use one operator, or an upper bound ($lt/$lte) with a lower bound ($gt/$gte)`);
      }
      for (const [op, arg] of ops) {
        const ok =
          op === '$eq' || op === '$ne'
            ? scalar(arg)
            : op === '$in' || op === '$nin'
              ? Array.isArray(arg) && arg.every(scalar)
              : typeof arg === 'string' || typeof arg === 'number';
        if (!ok) throw invalid(`${op} on ${key} has an unsupported value ${JSON.stringify(arg)}`);
      }
    } else {
      throw invalid(`${key} has an unsupported value ${JSON.stringify(condition)}`);
    }

    const type = metadataIndexes[key];
    const norm = (x) => (typeof x === 'string' ? truncateUtf8(x, INDEXED_STRING_BYTES) : x);
    return (metadata) => {
      // Without a metadata index the property is invisible to filters.
      if (type === undefined) return false;
      const value = indexedValue(metadata, key, type);
      const equals = (x) => (x === null ? value === undefined : value !== undefined && typeof x === type && norm(x) === value);
      return ops.every(([op, arg]) => {
        switch (op) {
          case '$eq': return equals(arg);
          case '$ne': return !equals(arg);
          case '$in': return arg.some(equals);
          case '$nin': return !arg.some(equals);
          default: {
            if (value === undefined || typeof arg !== type) return false;
            const c = compare(value, norm(arg));
            return op === '$lt' ? c < 0 : op === '$lte' ? c <= 0 : op === '$gt' ? c > 0 : c >= 0;
          }
        }
      });
    };
  });
  return (metadata) => clauses.every((matches) => matches(metadata));
}

/** Metadata keys: not empty, no '.' (reserved for nesting in filters), no '"', no leading '$'. */
function badMetadataKey(value) {
  if (Array.isArray(value)) return value.map(badMetadataKey).find((k) => k !== undefined);
  if (!isObject(value)) return undefined;
  for (const [k, v] of Object.entries(value)) {
    if (k === '' || k.includes('.') || k.includes('"') || k.startsWith('$')) return k;
    const inner = badMetadataKey(v);
    if (inner !== undefined) return inner;
  }
  return undefined;
}

// Named like the real binding's class, since code may check constructor.name.
class VectorizeIndexImpl {
  #config;
  #state;

  constructor(config) {
    this.#config = config;
    this.#state = stateOf(config.indexName);
  }

  async describe() {
    return this.#track('describe', () => {
      const s = this.#state;
      return {
        vectorCount: s.vectors.size,
        dimensions: this.#config.dimensions,
        processedUpToDatetime: s.processed?.at ?? null,
        processedUpToMutation: s.processed?.id ?? null,
        fakeStats: { ...s.stats },
      };
    });
  }

  async query(vector, options) {
    return this.#track('query', () => this.#query({ vector: Array.isArray(vector) ? vector : Array.from(vector) }, options));
  }

  async queryById(vectorId, options) {
    return this.#track('queryById', () => this.#query({ vectorId }, options));
  }

  async insert(vectors) {
    return this.#track('insert', () => this.#write('VECTOR_INSERT', 'insert', vectors, false));
  }

  async upsert(vectors) {
    return this.#track('upsert', () => this.#write('VECTOR_UPSERT', 'upsert', vectors, true));
  }

  async getByIds(ids) {
    return this.#track('getByIds', () => {
      const list = this.#ids('VECTOR_GET', 'get', ids, MAX_GET_IDS);
      const found = [];
      for (const id of new Set(list)) {
        const row = this.#state.vectors.get(id);
        if (row) found.push(this.#present(row, { values: true, metadata: 'all' }));
      }
      return found;
    });
  }

  async deleteByIds(ids) {
    return this.#track('deleteByIds', () => {
      const list = this.#ids('VECTOR_DELETE', 'delete', ids, MAX_DELETE_IDS);
      return this.#mutate((vectors) => list.forEach((id) => vectors.delete(id)));
    });
  }

  /** Counts the call, makes due mutations visible, counts a failure. */
  #track(method, run) {
    const s = this.#state;
    s.stats[method]++;
    this.#applyDue();
    try {
      return run();
    } catch (e) {
      s.stats.errors++;
      throw e;
    }
  }

  #applyDue() {
    const s = this.#state;
    const now = Date.now();
    while (s.pending.length > 0 && s.pending[0].due <= now) {
      const m = s.pending.shift();
      m.apply(s.vectors);
      s.processed = { id: m.mutationId, at: new Date(now).toISOString() };
    }
  }

  /** Mutations are asynchronous in production: queued, visible once due. */
  #mutate(apply) {
    const mutationId = crypto.randomUUID();
    this.#state.pending.push({ due: Date.now() + this.#config.processingDelayMs, apply, mutationId });
    this.#applyDue();
    return { mutationId };
  }

  #ids(operation, verb, ids, max) {
    const body = wire({ ids });
    if (!Array.isArray(body.ids) || !body.ids.every((id) => typeof id === 'string') || !wellFormed(body.ids)) {
      throw vectorizeError(operation, 40023, `failed to parse ${verb} vectors request in json format`);
    }
    if (body.ids.length > max) {
      throw vectorizeError(operation, 40007, `too many ids in payload; max id count is ${max}, got ${body.ids.length}`);
    }
    return body.ids;
  }

  #write(operation, verb, vectors, replace) {
    const { dimensions } = this.#config;
    // The client's own step: typed arrays become plain arrays before the JSON.
    const body = wire({
      vectors: vectors.map((vec) => ({ ...vec, values: Array.isArray(vec.values) ? vec.values : Array.from(vec.values) })),
    });
    const parseError = () => vectorizeError(operation, 40023, `failed to parse ${verb} vectors request in json format`);
    if (body.vectors.length > MAX_BATCH) {
      throw vectorizeError(operation, 40005, `too many vectors in payload; max count is ${MAX_BATCH}, got ${body.vectors.length}`);
    }
    const rows = body.vectors.map((v) => {
      const namespace = v?.namespace ?? undefined;
      const metadata = v?.metadata ?? undefined;
      if (
        !isObject(v) ||
        typeof v.id !== 'string' ||
        !Array.isArray(v.values) ||
        !v.values.every((x) => typeof x === 'number') ||
        (namespace !== undefined && typeof namespace !== 'string') ||
        (metadata !== undefined && !isObject(metadata)) ||
        !wellFormed(v)
      ) {
        throw parseError();
      }
      const idBytes = byteLength(v.id);
      if (idBytes === 0) throw vectorizeError(operation, 40008, 'id must not be empty');
      if (idBytes > MAX_ID_BYTES) throw vectorizeError(operation, 40008, `id too long; max is ${MAX_ID_BYTES} bytes, got ${idBytes} bytes`);
      if (v.values.length !== dimensions) {
        throw vectorizeError(
          operation,
          40012,
          `invalid vector for id="${v.id}", expected ${dimensions} dimensions, and got ${v.values.length} dimensions`,
        );
      }
      // Stored as float32, as the service does.
      const values = v.values.map(Math.fround);
      if (!values.every(Number.isFinite)) throw vectorizeError(operation, 40012, `invalid vector for id="${v.id}", values must be finite float32`);
      if (namespace !== undefined) {
        const n = byteLength(namespace);
        if (n > MAX_NAMESPACE_BYTES) throw vectorizeError(operation, 40009, `namespace too long; max is ${MAX_NAMESPACE_BYTES} bytes, got ${n} bytes`);
      }
      if (metadata !== undefined) {
        const key = badMetadataKey(metadata);
        if (key !== undefined) {
          throw vectorizeError(operation, 40011, `invalid metadata key ${JSON.stringify(key)} for id="${v.id}": keys cannot be empty, contain '.' or '"', or start with '$'`);
        }
        const n = byteLength(JSON.stringify(metadata));
        if (n > MAX_METADATA_BYTES) throw vectorizeError(operation, 40010, `metadata too large for id="${v.id}"; max is ${MAX_METADATA_BYTES} bytes, got ${n} bytes`);
      }
      return { id: v.id, values, namespace, metadata };
    });
    return this.#mutate((stored) => {
      for (const row of rows) {
        // insert keeps the vector already there; upsert replaces it in full.
        if (replace || !stored.has(row.id)) stored.set(row.id, row);
      }
    });
  }

  #query(params, options) {
    const { dimensions, metric, metadataIndexes } = this.#config;
    // The client's own checks (V2), including its in-place conversion of a
    // `true` returnMetadata. A `false` is sent as is, and the service
    // refuses it (40026 below).
    if (options?.returnMetadata) {
      if (typeof options.returnMetadata !== 'boolean' && !LEVELS.has(options.returnMetadata)) {
        throw new Error(`Invalid returnMetadata option. Expected: true, false, "none", "indexed" or "all"; got: ${options.returnMetadata}`);
      }
      if (typeof options.returnMetadata === 'boolean') options.returnMetadata = options.returnMetadata ? 'all' : 'none';
    }
    const body = wire({ ...options, ...(params.vector ? { vector: params.vector } : { vectorId: params.vectorId }) });

    const parseError = (what) => vectorizeError('VECTOR_QUERY', 40026, `Failed to parse the request body as JSON: ${what}`);
    if (!wellFormed(body)) throw parseError('invalid unicode');
    const topK = body.topK ?? DEFAULT_TOP_K;
    if (typeof topK !== 'number' || !Number.isInteger(topK) || topK < 0) throw parseError('topK: invalid type, expected u32');
    const returnValues = body.returnValues ?? false;
    if (typeof returnValues !== 'boolean') throw parseError('returnValues: invalid type, expected a boolean');
    const level = body.returnMetadata ?? 'none';
    if (!LEVELS.has(level)) throw parseError('returnMetadata: expected value');
    const namespace = body.namespace ?? undefined;
    if (namespace !== undefined && typeof namespace !== 'string') throw parseError('namespace: invalid type, expected a string');

    if (topK < 1) throw vectorizeError('VECTOR_QUERY', 40025, `top K must be at least 1, but got ${topK}`);
    if ((returnValues || level === 'all') && topK > MAX_TOP_K_WITH_PAYLOAD) {
      throw vectorizeError(
        'VECTOR_QUERY',
        40025,
        `with returnValues=true or returnMetadata=all, max top K is ${MAX_TOP_K_WITH_PAYLOAD}, but got ${topK}`,
      );
    }
    if (topK > MAX_TOP_K) throw vectorizeError('VECTOR_QUERY', 40025, `max top K is ${MAX_TOP_K}, but got ${topK}`);
    if (namespace !== undefined && byteLength(namespace) > MAX_NAMESPACE_BYTES) {
      throw vectorizeError('VECTOR_QUERY', 40009, `namespace too long; max is ${MAX_NAMESPACE_BYTES} bytes, got ${byteLength(namespace)} bytes`);
    }
    const filter = body.filter === undefined || body.filter === null ? null : compileFilter(body.filter, metadataIndexes);

    let q;
    if (params.vector) {
      if (!Array.isArray(body.vector) || !body.vector.every((x) => typeof x === 'number')) throw parseError('vector: invalid type, expected a sequence of floats');
      if (body.vector.length !== dimensions) {
        throw vectorizeError('VECTOR_QUERY', 40006, `invalid query vector, expected ${dimensions} dimensions, and got ${body.vector.length} dimensions`);
      }
      q = body.vector.map(Math.fround);
    } else {
      if (typeof body.vectorId !== 'string') throw parseError('vectorId: invalid type, expected a string');
      const row = this.#state.vectors.get(body.vectorId);
      if (!row) return { count: 0, matches: [] };
      q = row.values;
    }

    // The namespace narrows the search first, then the metadata filter,
    // then topK is taken from what is left.
    const order = ranking(metric);
    const scored = [];
    for (const row of this.#state.vectors.values()) {
      if (namespace !== undefined && row.namespace !== namespace) continue;
      if (filter && !filter(row.metadata)) continue;
      scored.push({ row, score: score(metric, q, row.values) });
    }
    scored.sort((a, b) => order(a.score, b.score) || compare(a.row.id, b.row.id));
    const matches = scored.slice(0, topK).map(({ row, score: s }) => {
      const { id, ...rest } = this.#present(row, { values: returnValues, metadata: level });
      return { id, score: s, ...rest };
    });
    return { count: matches.length, matches };
  }

  /** A stored vector as the service returns it, with only what was asked for. */
  #present(row, { values, metadata }) {
    const out = { id: row.id };
    if (values) out.values = [...row.values];
    if (metadata === 'all' && row.metadata !== undefined) out.metadata = wire(row.metadata);
    if (metadata === 'indexed' && row.metadata !== undefined) {
      // Only indexed properties, strings cut to what the index holds.
      const md = {};
      for (const [path, type] of Object.entries(this.#config.metadataIndexes)) {
        const v = indexedValue(row.metadata, path, type);
        if (v !== undefined) setPath(md, path, v);
      }
      if (Object.keys(md).length > 0) out.metadata = md;
    }
    if (row.namespace !== undefined) out.namespace = row.namespace;
    return out;
  }
}

export default function makeVectorizeIndex(env) {
  return new VectorizeIndexImpl(readConfig(env));
}
