// The clean event contract against its golden files: every golden clean
// event passes the schema, every column of the ClickHouse events table that
// the clean event fills has its name, and damaged copies fail. The
// processor's unit test (enrich_clean_event) makes the same goldens from the
// batch v1 goldens.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import Ajv2020 from 'ajv/dist/2020.js';

const dir = process.env.CLICKSTREAM_CONTRACTS ?? new URL('../../docs/contracts', import.meta.url).pathname;
const root = process.env.CLICKSTREAM_ROOT ?? new URL('../..', import.meta.url).pathname;
const schema = JSON.parse(readFileSync(join(dir, 'clean-event.schema.json'), 'utf8'));
const { cases } = JSON.parse(readFileSync(join(dir, 'clean-event/cases.json'), 'utf8'));
const validate = new Ajv2020({ allErrors: true, strict: true, strictRequired: false }).compile(schema);

test('cases.json lists every golden file', () => {
  const onDisk = readdirSync(join(dir, 'clean-event')).filter((f) => f !== 'cases.json');
  assert.deepEqual(cases.map((c) => c.file).sort(), onDisk.sort());
});

for (const c of cases) {
  test(`${c.file}: every clean event is valid`, () => {
    const events = JSON.parse(readFileSync(join(dir, 'clean-event', c.file), 'utf8'));
    const batch = JSON.parse(readFileSync(join(dir, 'batch-v1', c.batch), 'utf8'));
    assert.equal(events.length, batch.events.length);
    for (const e of events) assert.ok(validate(e), JSON.stringify(validate.errors));
  });
}

test('damaged clean events fail', () => {
  const good = JSON.parse(readFileSync(join(dir, 'clean-event', cases[0].file), 'utf8'))[0];
  for (const [field, value] of [['event_id', 'x'], ['channel', 'tv'], ['is_bot', 'no'], ['event_time_ms', 1.5], ['device_date', '25/11/2025']]) {
    assert.ok(!validate({ ...good, [field]: value }), `${field}=${JSON.stringify(value)} accepted`);
  }
  const { site, ...withoutSite } = good;
  assert.ok(site);
  assert.ok(!validate(withoutSite));
});

test('clean event names match the events table columns they fill', () => {
  const sql = readFileSync(join(root, 'processor/migrations/0001_events.sql'), 'utf8');
  const columns = [...sql.matchAll(/^\s{4}([a-z_]+)\s+[A-Z]/gm)].map((m) => m[1]);
  assert.ok(columns.length > 40);
  const missing = columns.filter((c) => !(c in schema.properties));
  assert.deepEqual(missing, [], 'events columns the clean event does not fill');
});
