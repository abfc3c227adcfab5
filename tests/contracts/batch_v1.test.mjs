// The batch v1 contract against its own golden files: every valid example
// passes the schema, every invalid one fails it at the path cases.json names.
// The SDK's encoder tests and the processor's parser tests read the same files.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import Ajv2020 from 'ajv/dist/2020.js';

const dir = process.env.CLICKSTREAM_CONTRACTS ?? new URL('../../docs/contracts', import.meta.url).pathname;
const schema = JSON.parse(readFileSync(join(dir, 'batch-v1.schema.json'), 'utf8'));
const { cases } = JSON.parse(readFileSync(join(dir, 'batch-v1/cases.json'), 'utf8'));
const validate = new Ajv2020({ allErrors: true, strict: true, strictRequired: false }).compile(schema);

test('cases.json lists every golden file', () => {
  const onDisk = ['valid', 'invalid'].flatMap((d) => readdirSync(join(dir, 'batch-v1', d)).map((f) => `${d}/${f}`));
  assert.deepEqual(cases.map((c) => c.file).sort(), onDisk.sort());
});

for (const c of cases) {
  test(`${c.file} is ${c.valid ? 'valid' : `invalid (${c.reason} at ${c.path || '/'})`}`, () => {
    const text = readFileSync(join(dir, 'batch-v1', c.file), 'utf8');
    let doc;
    try {
      doc = JSON.parse(text);
    } catch {
      assert.equal(c.reason, 'not_json', 'only not_json cases may fail to parse');
      return;
    }
    const ok = validate(doc);
    if (c.valid) {
      assert.ok(ok, JSON.stringify(validate.errors));
      assert.equal(doc.events.length, c.events);
      // Valid goldens are the encoders' byte-for-byte reference: compact, one line.
      assert.equal(text, JSON.stringify(doc) + '\n');
    } else {
      assert.ok(!ok, 'schema accepted an invalid batch');
      const paths = validate.errors.map((e) => (e.keyword === 'required' ? `${e.instancePath}/${e.params.missingProperty}` : e.instancePath));
      assert.ok(paths.includes(c.path), `expected a violation at '${c.path}', got ${JSON.stringify(paths)}`);
    }
  });
}
