// The site config contract (GET /v1/config) against its golden answers.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import Ajv2020 from 'ajv/dist/2020.js';

const dir = process.env.CLICKSTREAM_CONTRACTS ?? new URL('../../docs/contracts', import.meta.url).pathname;
const schema = JSON.parse(readFileSync(join(dir, 'site-config-v1.schema.json'), 'utf8'));
const { cases } = JSON.parse(readFileSync(join(dir, 'site-config-v1/cases.json'), 'utf8'));
const validate = new Ajv2020({ allErrors: true, strict: true }).compile(schema);

for (const c of cases) {
  test(`${c.file} is ${c.valid ? 'valid' : `invalid at ${c.path}`}`, () => {
    const doc = JSON.parse(readFileSync(join(dir, 'site-config-v1', c.file), 'utf8'));
    const ok = validate(doc);
    if (c.valid) {
      assert.ok(ok, JSON.stringify(validate.errors));
    } else {
      assert.ok(!ok, 'schema accepted an invalid answer');
      assert.ok(validate.errors.some((e) => e.instancePath === c.path), JSON.stringify(validate.errors));
    }
  });
}
