// The Vectorize and Workers AI fakes (tests/integration/fakes/) on their own,
// imported in Node: they must refuse what production refuses and answer
// what it answers, or tests of the gateway against them prove nothing.
// Needs no gateway: runs with `node --test tests/integration/fakes.test.mjs`.

import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import makeIndex from './fakes/vectorize.mjs';
import makeAi, { embed } from './fakes/workers-ai.mjs';

let indexes = 0;
/** A fresh index (state is per index name and lasts for the process). */
function index(options = {}) {
  return makeIndex({ indexName: `test-${++indexes}`, dimensions: 4, metric: 'cosine', metadataIndexes: { ctx: 'string' }, ...options });
}

const unit = (i, dims = 4) => Array.from({ length: dims }, (_, k) => (k === i ? 1 : 0));
const cosine = (a, b) => a.reduce((s, x, i) => s + x * b[i], 0);

/** Asserts that `promise` rejects with a message matching `pattern`. */
async function refused(promise, pattern) {
  await assert.rejects(promise, (e) => {
    assert.match(e.message, pattern);
    return true;
  });
}

describe('Vectorize fake: validation', () => {
  test('vector length must equal the index dimensions, on writes and queries', async () => {
    const idx = index();
    await refused(idx.upsert([{ id: 'a', values: [1, 2, 3] }]), /^VECTOR_UPSERT_ERROR \(code = 40012\): invalid vector for id="a", expected 4 dimensions, and got 3 dimensions$/);
    await refused(idx.insert([{ id: 'a', values: [1, 2, 3, 4, 5] }]), /^VECTOR_INSERT_ERROR \(code = 40012\)/);
    await refused(idx.query([1, 2]), /^VECTOR_QUERY_ERROR \(code = 40006\): invalid query vector, expected 4 dimensions, and got 2 dimensions$/);
    await refused(idx.query([]), /expected 4 dimensions, and got 0 dimensions/);
  });

  test('ids and namespaces are at most 64 bytes, metadata at most 10 KiB, batches at most 1000', async () => {
    const idx = index();
    const v = [1, 0, 0, 0];
    await idx.upsert([{ id: 'x'.repeat(64), values: v, namespace: 'n'.repeat(64) }]);
    await refused(idx.upsert([{ id: 'é'.repeat(33), values: v }]), /^VECTOR_UPSERT_ERROR \(code = 40008\): id too long; max is 64 bytes, got 66 bytes$/);
    await refused(idx.upsert([{ id: 'a', values: v, namespace: 'n'.repeat(65) }]), /namespace too long; max is 64 bytes, got 65 bytes/);
    await refused(idx.upsert([{ id: 'a', values: v, metadata: { text: 'x'.repeat(10 * 1024) } }]), /metadata too large.*max is 10240 bytes/);
    await refused(idx.upsert([{ id: 'a', values: v, metadata: { 'a.b': 1 } }]), /invalid metadata key "a.b"/);
    await refused(idx.upsert([{ id: 'a', values: v, metadata: { $x: 1 } }]), /invalid metadata key/);
    const many = Array.from({ length: 1001 }, (_, i) => ({ id: `v${i}`, values: v }));
    await refused(idx.upsert(many), /too many vectors in payload; max count is 1000, got 1001/);
    await idx.upsert(many.slice(0, 1000));
    assert.equal((await idx.describe()).vectorCount, 1001);
  });

  test('what JSON cannot carry fails as the service fails to parse it', async () => {
    const idx = index();
    await refused(idx.upsert([{ id: 'a', values: [1, NaN, 0, 0] }]), /^VECTOR_UPSERT_ERROR \(code = 40023\): failed to parse upsert vectors request/);
    await refused(idx.upsert([{ id: 'bad\ud800', values: [1, 0, 0, 0] }]), /code = 40023/);
    await refused(idx.upsert([{ id: 7, values: [1, 0, 0, 0] }]), /code = 40023/);
    await assert.rejects(idx.upsert([{ id: 'a' }]), TypeError, 'the client itself fails on missing values');
    // A typed array is fine: the client turns it into a plain array.
    await idx.upsert([{ id: 'a', values: new Float32Array([1, 0, 0, 0]) }]);
  });

  test('returnMetadata: "none" | "indexed" | "all" or true; false is refused by the service', async () => {
    const idx = index();
    await idx.upsert([{ id: 'a', values: unit(0), metadata: { ctx: 'c' } }]);
    await refused(idx.query(unit(0), { returnMetadata: false }), /^VECTOR_QUERY_ERROR \(code = 40026\): Failed to parse the request body as JSON: returnMetadata: expected value$/);
    await refused(idx.query(unit(0), { returnMetadata: 'some' }), /^Invalid returnMetadata option. Expected: true, false, "none", "indexed" or "all"; got: some$/);
    const all = await idx.query(unit(0), { returnMetadata: true });
    assert.deepEqual(all.matches[0].metadata, { ctx: 'c' });
  });

  test('topK: 5 by default, at most 100, at most 20 with values or all metadata', async () => {
    const idx = index();
    await idx.upsert(Array.from({ length: 120 }, (_, i) => ({ id: `v${i}`, values: [1, i, 0, 0] })));
    assert.equal((await idx.query(unit(0))).count, 5);
    assert.equal((await idx.query(unit(0), { topK: 100 })).count, 100);
    assert.equal((await idx.query(unit(0), { topK: 100, returnMetadata: 'indexed' })).count, 100);
    assert.equal((await idx.query(unit(0), { topK: 20, returnValues: true, returnMetadata: 'all' })).count, 20);
    await refused(idx.query(unit(0), { topK: 101 }), /^VECTOR_QUERY_ERROR \(code = 40025\): max top K is 100, but got 101$/);
    const capped = /^VECTOR_QUERY_ERROR \(code = 40025\): with returnValues=true or returnMetadata=all, max top K is 20, but got 21$/;
    await refused(idx.query(unit(0), { topK: 21, returnValues: true }), capped);
    await refused(idx.query(unit(0), { topK: 21, returnMetadata: 'all' }), capped);
    await refused(idx.query(unit(0), { topK: 21, returnMetadata: true }), capped);
  });

  test('getByIds takes at most 20 ids, deleteByIds at most 100', async () => {
    const idx = index();
    await refused(idx.getByIds(Array.from({ length: 21 }, (_, i) => `v${i}`)), /^VECTOR_GET_ERROR \(code = 40007\): too many ids in payload; max id count is 20, got 21$/);
    await refused(idx.deleteByIds(Array.from({ length: 101 }, (_, i) => `v${i}`)), /^VECTOR_DELETE_ERROR \(code = 40007\): too many ids in payload; max id count is 100, got 101$/);
  });

  test('the binding refuses a configuration production could not have', () => {
    assert.throws(() => makeIndex({ indexName: 'x', dimensions: 0 }), /dimensions/);
    assert.throws(() => makeIndex({ indexName: 'x', dimensions: 4, metric: 'manhattan' }), /metric/);
    assert.throws(() => makeIndex({ indexName: 'x', dimensions: 4, metadataIndexes: { a: 'date' } }), /metadata index a/);
  });
});

describe('Vectorize fake: writes', () => {
  test('insert keeps the vector already there; upsert replaces it in full', async () => {
    const idx = index();
    await idx.insert([{ id: 'a', values: unit(0), metadata: { ctx: 'first', extra: 1 } }]);
    await idx.insert([{ id: 'a', values: unit(1), metadata: { ctx: 'second' } }]);
    let [a] = await idx.getByIds(['a']);
    assert.deepEqual(a, { id: 'a', values: unit(0), metadata: { ctx: 'first', extra: 1 } });
    await idx.upsert([{ id: 'a', values: unit(2), metadata: { ctx: 'third' } }]);
    [a] = await idx.getByIds(['a']);
    assert.deepEqual(a, { id: 'a', values: unit(2), metadata: { ctx: 'third' } }, 'no merge with the old metadata');
  });

  test('mutations answer a mutation id; describe() reports it and the counts', async () => {
    const idx = index();
    const { mutationId } = await idx.upsert([{ id: 'a', values: unit(0) }, { id: 'b', values: unit(1) }]);
    assert.match(mutationId, /^[0-9a-f-]{36}$/);
    const d = await idx.describe();
    assert.equal(d.vectorCount, 2);
    assert.equal(d.dimensions, 4);
    assert.equal(d.processedUpToMutation, mutationId);
    const deleted = await idx.deleteByIds(['a', 'missing']);
    assert.notEqual(deleted.mutationId, mutationId);
    assert.deepEqual(await idx.getByIds(['a', 'b', 'b']), [{ id: 'b', values: unit(1) }]);
    await idx.query(unit(1)).catch(() => {});
    await refused(idx.query([1]), /40006/);
    const { fakeStats } = await idx.describe();
    assert.deepEqual(fakeStats, { describe: 2, query: 2, queryById: 0, insert: 0, upsert: 1, getByIds: 1, deleteByIds: 1, errors: 1 });
  });

  test('values are stored as float32', async () => {
    const idx = index();
    await idx.upsert([{ id: 'a', values: [0.1, 0.2, 0.3, 0.4] }]);
    const [a] = await idx.getByIds(['a']);
    assert.deepEqual(a.values, [0.1, 0.2, 0.3, 0.4].map(Math.fround));
  });

  test('bindings naming the same index share it; other names do not', async () => {
    const one = makeIndex({ indexName: 'shared-index', dimensions: 4 });
    const two = makeIndex({ indexName: 'shared-index', dimensions: 4 });
    await one.upsert([{ id: 'a', values: unit(0) }]);
    assert.equal((await two.getByIds(['a'])).length, 1);
    assert.equal((await index().getByIds(['a'])).length, 0);
  });

  test('with processingDelayMs a mutation becomes visible only later, as in production', async () => {
    const idx = index({ processingDelayMs: 60 });
    await idx.upsert([{ id: 'a', values: unit(0) }]);
    assert.equal((await idx.query(unit(0))).count, 0);
    await new Promise((r) => setTimeout(r, 80));
    assert.equal((await idx.query(unit(0))).count, 1);
  });
});

describe('Vectorize fake: queries', () => {
  test('cosine: similarity from -1 to 1, best first, with values and metadata on request', async () => {
    const idx = index();
    await idx.upsert([
      { id: 'far', values: [-1, 0, 0, 0] },
      { id: 'near', values: [1, 1, 0, 0], metadata: { ctx: 'n', note: 'x' } },
      { id: 'same', values: [2, 0, 0, 0] },
      { id: 'orthogonal', values: [0, 0, 1, 0] },
    ]);
    const r = await idx.query([1, 0, 0, 0], { returnValues: true, returnMetadata: 'all' });
    assert.deepEqual(r.matches.map((m) => m.id), ['same', 'near', 'orthogonal', 'far']);
    assert.equal(r.count, 4);
    assert.ok(Math.abs(r.matches[0].score - 1) < 1e-6);
    assert.ok(Math.abs(r.matches[1].score - Math.SQRT1_2) < 1e-6);
    assert.equal(r.matches[2].score, 0);
    assert.ok(Math.abs(r.matches[3].score + 1) < 1e-6);
    assert.deepEqual(r.matches[1].values, [1, 1, 0, 0]);
    assert.deepEqual(r.matches[1].metadata, { ctx: 'n', note: 'x' });
    const bare = await idx.query([1, 0, 0, 0], { topK: 1 });
    assert.deepEqual(Object.keys(bare.matches[0]), ['id', 'score'], 'nothing returned that was not asked for');
  });

  test('euclidean: distance, smallest first; dot-product: negated dot product, smallest first', async () => {
    const e = index({ metric: 'euclidean' });
    await e.upsert([{ id: 'b', values: [3, 4, 0, 0] }, { id: 'a', values: [1, 0, 0, 0] }]);
    const er = await e.query([0, 0, 0, 0]);
    assert.deepEqual(er.matches.map((m) => [m.id, m.score]), [['a', 1], ['b', 5]]);
    const d = index({ metric: 'dot-product' });
    await d.upsert([{ id: 'small', values: [1, 0, 0, 0] }, { id: 'big', values: [10, 0, 0, 0] }]);
    const dr = await d.query([2, 0, 0, 0]);
    assert.deepEqual(dr.matches.map((m) => [m.id, m.score]), [['big', -20], ['small', -2]]);
  });

  test('a namespace restricts the search; without one the whole index is searched', async () => {
    const idx = index();
    await idx.upsert([
      { id: 'a', values: unit(0), namespace: 'ws1' },
      { id: 'b', values: unit(0), namespace: 'ws2' },
      { id: 'c', values: unit(0) },
    ]);
    const one = await idx.query(unit(0), { namespace: 'ws1' });
    assert.deepEqual(one.matches.map((m) => [m.id, m.namespace]), [['a', 'ws1']]);
    assert.equal((await idx.query(unit(0), { namespace: 'none-such' })).count, 0);
    assert.equal((await idx.query(unit(0))).count, 3);
  });

  test('filters: implicit $eq and every operator, on indexed properties only', async () => {
    const idx = index({ metadataIndexes: { ctx: 'string', n: 'number', ok: 'boolean', 'deep.key': 'string' } });
    await idx.upsert([
      { id: 'a', values: unit(0), metadata: { ctx: 'alpha', n: 1, ok: true, other: 'x', deep: { key: 'k1' } } },
      { id: 'b', values: unit(0), metadata: { ctx: 'beta', n: 2, ok: false, other: 'x' } },
      { id: 'c', values: unit(0), metadata: { ctx: 'gamma', n: 3, other: 'y' } },
      { id: 'd', values: unit(0), metadata: { n: '4' } },
    ]);
    const ids = async (filter) => (await idx.query(unit(0), { filter, topK: 10 })).matches.map((m) => m.id).sort();
    assert.deepEqual(await ids({ ctx: 'alpha' }), ['a']);
    assert.deepEqual(await ids({ ctx: { $eq: 'beta' } }), ['b']);
    assert.deepEqual(await ids({ ctx: { $ne: 'beta' } }), ['a', 'c', 'd']);
    assert.deepEqual(await ids({ ctx: { $in: ['alpha', 'gamma'] } }), ['a', 'c']);
    assert.deepEqual(await ids({ ctx: { $nin: ['alpha', 'gamma'] } }), ['b', 'd']);
    assert.deepEqual(await ids({ n: { $gt: 1, $lte: 3 } }), ['b', 'c'], "'4' is a string, not in the number index");
    assert.deepEqual(await ids({ n: { $lt: 2 } }), ['a']);
    assert.deepEqual(await ids({ n: { $gte: 3 } }), ['c']);
    assert.deepEqual(await ids({ ctx: { $gte: 'b', $lt: 'c' } }), ['b'], 'string ranges: prefix search');
    assert.deepEqual(await ids({ ok: false }), ['b']);
    assert.deepEqual(await ids({ ctx: 'alpha', n: 2 }), [], 'keys combine with AND');
    assert.deepEqual(await ids({ 'deep.key': 'k1' }), ['a'], 'dots address nested properties');
  });

  test('a filter on a property without a metadata index matches nothing', async () => {
    const idx = index();
    await idx.upsert([{ id: 'a', values: unit(0), metadata: { ctx: 'c', other: 'x' } }]);
    assert.equal((await idx.query(unit(0), { filter: { other: 'x' } })).count, 0);
    assert.equal((await idx.query(unit(0), { filter: { other: { $ne: 'y' } } })).count, 0);
    assert.equal((await idx.query(unit(0), { filter: { ctx: 'c' } })).count, 1);
  });

  test('indexed strings compare on their first 64 bytes', async () => {
    const idx = index();
    const long = `${'x'.repeat(63)}é-and-more`; // é straddles byte 64: cut before it
    await idx.upsert([{ id: 'a', values: unit(0), metadata: { ctx: long } }]);
    assert.equal((await idx.query(unit(0), { filter: { ctx: 'x'.repeat(63) } })).count, 1);
    assert.equal((await idx.query(unit(0), { filter: { ctx: `${'x'.repeat(63)}é-other` } })).count, 1);
    assert.equal((await idx.query(unit(0), { filter: { ctx: 'x'.repeat(62) } })).count, 0);
    const indexed = await idx.query(unit(0), { returnMetadata: 'indexed' });
    assert.deepEqual(indexed.matches[0].metadata, { ctx: 'x'.repeat(63) }, '"indexed" returns what the index holds');
  });

  test('filters production refuses are refused', async () => {
    const idx = index();
    const invalid = /^VECTOR_QUERY_ERROR \(code = 40030\): invalid filter/;
    await refused(idx.query(unit(0), { filter: {} }), invalid);
    await refused(idx.query(unit(0), { filter: { ctx: { $eq: 'a', $ne: 'b' } } }), invalid);
    await refused(idx.query(unit(0), { filter: { n: { $gt: 1, $gte: 2 } } }), invalid);
    await refused(idx.query(unit(0), { filter: { ctx: { $regex: 'a' } } }), invalid);
    await refused(idx.query(unit(0), { filter: { ctx: ['a'] } }), invalid);
    await refused(idx.query(unit(0), { filter: { ok: { $lt: true } } }), invalid);
    await refused(idx.query(unit(0), { filter: { $and: 1 } }), invalid);
    await refused(idx.query(unit(0), { filter: { ctx: 'x'.repeat(2048) } }), invalid);
    // A Map serializes to {} on the way to the service.
    await refused(idx.query(unit(0), { filter: new Map([['ctx', 'a']]) }), invalid);
  });

  test('queryById searches with a stored vector; an unknown id finds nothing', async () => {
    const idx = index();
    await idx.upsert([{ id: 'a', values: [1, 1, 0, 0] }, { id: 'b', values: [1, 0, 0, 0] }, { id: 'c', values: [0, 0, 0, 1] }]);
    const r = await idx.queryById('a', { topK: 2 });
    assert.deepEqual(r.matches.map((m) => m.id), ['a', 'b']);
    assert.deepEqual(await idx.queryById('nope'), { count: 0, matches: [] });
  });
});

describe('Workers AI fake', () => {
  const models = { '@cf/baai/bge-small-en-v1.5': 384, '@cf/baai/bge-base-en-v1.5': 768, '@cf/baai/bge-large-en-v1.5': 1024 };

  test('the embedding puts paraphrases close and other questions far', () => {
    for (const dims of [...Object.values(models), 256]) {
      const a = embed('What is the capital of France?', dims);
      const b = embed('Tell me the capital of France please', dims);
      const c = embed('How do I bake sourdough bread?', dims);
      assert.ok(cosine(a, b) > 0.95, `${dims}: ${cosine(a, b)}`);
      assert.ok(cosine(a, c) < 0.5, `${dims}: ${cosine(a, c)}`);
    }
  });

  test('the embedding is the mock provider’s, to the last float32 bit', () => {
    // Answers of tests/mock-provider for these texts at 12 dimensions
    // ("ños" loses its 's': the rest is 3 bytes, though 2 characters).
    const [h, d] = [0.30151134729385376, 0.6030226945877075];
    assert.deepEqual(embed('Ärger über Straßen, buses and 42 cats ños', 12), [h, 0, 0, 0, 0, 0, d, d, 0, 0, h, h]);
    assert.deepEqual(embed('the of and', 12), [1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0], 'no content word: a fixed unit vector');
    const v = embed('anything at all', 64);
    assert.ok(Math.abs(Math.hypot(...v) - 1) < 1e-6);
  });

  test('run() answers shape, data and pooling for each BGE model', async () => {
    const ai = makeAi({});
    assert.equal(ai.constructor.name, 'Ai');
    for (const [model, dims] of Object.entries(models)) {
      const one = await ai.run(model, { text: 'hello world' });
      assert.deepEqual(one.shape, [1, dims]);
      assert.equal(one.pooling, 'mean');
      assert.deepEqual(one.data, [embed('hello world', dims)]);
      const two = await ai.run(model, { text: ['a cat', 'a dog'], pooling: 'cls' });
      assert.deepEqual(two.shape, [2, dims]);
      assert.equal(two.data.length, 2);
      assert.equal(two.pooling, 'cls');
    }
  });

  test('unknown models and bad inputs fail as the real binding fails', async () => {
    const ai = makeAi({});
    const failure = async (promise, code, pattern) =>
      assert.rejects(promise, (e) => {
        assert.equal(e.name, 'AiError');
        assert.match(e.message, new RegExp(`^${code}: `));
        assert.match(e.message, pattern);
        return true;
      });
    await failure(ai.run('@cf/baai/bge-huge', { text: 'x' }), 5007, /No such model @cf\/baai\/bge-huge or task/);
    await failure(ai.run('@cf/baai/bge-base-en-v1.5', {}), 5006, /required properties at '\/' are 'text'/);
    await failure(ai.run('@cf/baai/bge-base-en-v1.5', { text: 42 }), 5006, /\/text/);
    await failure(ai.run('@cf/baai/bge-base-en-v1.5', { text: '' }), 5006, /shorter than 1/);
    await failure(ai.run('@cf/baai/bge-base-en-v1.5', { text: ['ok', 3] }), 5006, /\/text\/1/);
    await failure(ai.run('@cf/baai/bge-base-en-v1.5', { text: Array(101).fill('x') }), 5006, /more than 100 items/);
    await failure(ai.run('@cf/baai/bge-base-en-v1.5', { text: 'x', pooling: 'max' }), 5006, /pooling/);
    // A Map (e.g. from serde_wasm_bindgen) serializes to {} on the way.
    await failure(ai.run('@cf/baai/bge-base-en-v1.5', new Map([['text', 'x']])), 5006, /'text'/);
    const stats = ai.fakeStats();
    assert.ok(stats.errors >= 8 && stats.byModel['@cf/baai/bge-huge'] === 1);
  });
});
