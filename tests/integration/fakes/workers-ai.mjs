// A stand-in for the Workers AI binding (`env.AI`), for the gateway in local
// workerd (a Miniflare wrapped binding) and for plain Node tests. It serves
// the BGE text-embedding models with the same deterministic bag-of-words
// embedding as the mock provider (tests/mock-provider/src/text.rs), so
// paraphrases land close together and unrelated texts far apart whichever
// path the gateway takes to its embeddings.
//
// Default export: (env) => ai, with ai.run(model, inputs[, options]):
//   inputs  { text: string | string[], pooling?: 'mean' | 'cls', truncate_inputs?: boolean }
//   result  { shape: [n, dims], data: number[][], pooling }
// Any other model fails as an unknown one would ("5007: No such model … or
// task"); bad inputs fail with 5006, as the service's schema check does.
// Errors are thrown the way the real binding throws them: an Error named
// AiError whose message is "<code>: <description>".
//
// Not in the real API: ai.fakeStats() → { run, errors, byModel }, counts of
// calls since the isolate started.
// No imports, so workerd can load it as a wrapped-binding module and Node
// can import it directly.

const MODELS = {
  '@cf/baai/bge-small-en-v1.5': 384,
  '@cf/baai/bge-base-en-v1.5': 768,
  '@cf/baai/bge-large-en-v1.5': 1024,
};
// The models' input schema allows at most this many texts per call.
const MAX_TEXTS = 100;

const STOPWORDS = new Set([
  'a', 'an', 'the', 'is', 'are', 'was', 'of', 'to', 'in', 'on', 'for', 'and', 'or', 'what', 'whats', 'how',
  'me', 'tell', 'please', 'can', 'you', 'i', 'my', 'do', 'does', 'about', 'it', 'this', 'that', 'with',
]);

const encoder = new TextEncoder();
const FNV_OFFSET = 0xcbf29ce484222325n;
const FNV_PRIME = 0x100000001b3n;
const U64 = (1n << 64n) - 1n;
// Rust's char::is_alphanumeric: the Alphabetic property or a numeric category (Nd, Nl, No).
const NOT_ALPHANUMERIC = /[^\p{Alphabetic}\p{N}]/u;

/**
 * The mock provider's embedding, ported exactly (f32 arithmetic included):
 * each content word — lower-cased, stopwords dropped, one trailing 's'
 * dropped when more than two bytes remain — adds 1 to the dimension its
 * FNV-1a 64-bit hash selects; the vector is then scaled to unit length
 * (all zeros become [1, 0, …]).
 */
export function embed(text, dims) {
  dims = Math.max(dims, 2);
  const v = new Float32Array(dims);
  for (const raw of text.split(NOT_ALPHANUMERIC)) {
    let w = raw.toLowerCase();
    if (w === '' || STOPWORDS.has(w)) continue;
    if (w.endsWith('s') && encoder.encode(w.slice(0, -1)).length > 2) w = w.slice(0, -1);
    let h = FNV_OFFSET;
    for (const b of encoder.encode(w)) h = ((h ^ BigInt(b)) * FNV_PRIME) & U64;
    v[Number(h % BigInt(dims))] += 1;
  }
  let sum = 0;
  for (const x of v) sum = Math.fround(sum + Math.fround(x * x));
  const norm = Math.fround(Math.sqrt(sum));
  if (norm === 0) v[0] = 1;
  else for (let i = 0; i < dims; i++) v[i] = v[i] / norm; // the Float32Array rounds like f32 division
  return Array.from(v);
}

// The real binding rethrows the service's error under its name, AiError.
class InferenceUpstreamError extends Error {
  constructor(message, name = 'InferenceUpstreamError') {
    super(message);
    this.name = name;
  }
}
const aiError = (code, description) => new InferenceUpstreamError(`${code}: ${description}`, 'AiError');

/** The embedding models' input schema, as the service enforces it. */
function validate(inputs) {
  const bad = (what) => aiError(5006, `Error: ${what}`);
  if (typeof inputs !== 'object' || inputs === null || Array.isArray(inputs)) throw bad("Type mismatch of '/', 'object' expected");
  if (!('text' in inputs)) throw bad("required properties at '/' are 'text'");
  const { text, pooling } = inputs;
  if (typeof text === 'string') {
    if (text.length === 0) throw bad("String at '/text' shorter than 1 characters");
  } else if (Array.isArray(text)) {
    if (text.length === 0) throw bad("Array at '/text' must NOT have fewer than 1 items");
    if (text.length > MAX_TEXTS) throw bad(`Array at '/text' must NOT have more than ${MAX_TEXTS} items`);
    text.forEach((t, i) => {
      if (typeof t !== 'string') throw bad(`Type mismatch of '/text/${i}', 'string' expected`);
      if (t.length === 0) throw bad(`String at '/text/${i}' shorter than 1 characters`);
    });
  } else {
    throw bad("oneOf at '/text' not met, type mismatch of '/text': 'string' or 'array' expected");
  }
  if (pooling !== undefined && pooling !== 'mean' && pooling !== 'cls') throw bad("'/pooling' must be equal to one of the allowed values: mean, cls");
  if (inputs.truncate_inputs !== undefined && typeof inputs.truncate_inputs !== 'boolean') throw bad("Type mismatch of '/truncate_inputs', 'boolean' expected");
}

// Module-level, like the Vectorize fake's state: it lasts as long as the isolate.
const stats = { run: 0, errors: 0, byModel: {} };

// Named like the real binding's class: worker-rs checks constructor.name === 'Ai'.
class Ai {
  lastRequestId = null;

  async run(model, inputs, options = {}) {
    stats.run++;
    stats.byModel[model] = (stats.byModel[model] ?? 0) + 1;
    try {
      // The real binding sends {inputs, options} as JSON: judge what survives that.
      const body = JSON.parse(JSON.stringify({ inputs, options }));
      this.lastRequestId = crypto.randomUUID();
      // …and reads inputs.stream before it looks at the answer (a TypeError
      // when inputs is missing).
      void inputs['stream'];
      const dims = Object.hasOwn(MODELS, model) ? MODELS[model] : undefined;
      if (dims === undefined) throw aiError(5007, `No such model ${model} or task`);
      validate(body.inputs);
      const texts = typeof body.inputs.text === 'string' ? [body.inputs.text] : body.inputs.text;
      return { shape: [texts.length, dims], data: texts.map((t) => embed(t, dims)), pooling: body.inputs.pooling ?? 'mean' };
    } catch (e) {
      stats.errors++;
      throw e;
    }
  }

  fakeStats() {
    return { ...stats, byModel: { ...stats.byModel } };
  }
}

export default function makeAi() {
  return new Ai();
}
