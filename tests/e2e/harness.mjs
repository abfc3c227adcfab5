// What the beacon's e2e tests share: the real clickstream-collector on a free
// loopback port (serving the built beacon under /cs/sdk/), a tiny server for
// the example shop that passes /cs/ through to it (first-party serving under
// the collector's prefix), a topic of the test's own, and Chromium.
import { spawn, execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
export const root = process.env.CLICKSTREAM_ROOT ?? new URL('../..', import.meta.url).pathname;
export const build = process.env.CLICKSTREAM_BUILD_DIR ?? join(root, 'build');
const brokers = process.env.CLICKSTREAM_KAFKA_BOOTSTRAP ?? '127.0.0.1:19092';
const tool = process.env.CLICKSTREAM_KAFKA_TOOL ?? join(build, 'tests/support/test_kafka_tool');
const collectorBin = process.env.CLICKSTREAM_COLLECTOR_BIN ?? join(build, 'collector/clickstream-collector');
const processorBin = process.env.CLICKSTREAM_PROCESSOR_BIN ?? join(build, 'processor/clickstream-processor');
const dist = process.env.CLICKSTREAM_WASM_DIST ?? join(build, 'wasm-beacon/dist');
export const artifacts = join(build, 'e2e-artifacts');
mkdirSync(artifacts, { recursive: true });

// The topics newTopic made and the consumer groups newGroup named, for
// deleteMade when the suite is done.
const made = [], groups = [];
export function newTopic(prefix) {
  const name = `${prefix}_${process.pid}_${randomBytes(4).toString('hex')}`;
  execFileSync(tool, [brokers, 'create', name], { stdio: ['ignore', 'ignore', 'inherit'] });
  made.push(name);
  return name;
}
export function newGroup(prefix) {
  const name = `${prefix}_${process.pid}_${randomBytes(4).toString('hex')}`;
  groups.push(name);
  return name;
}

// Deletes the given topics, every topic newTopic made and every consumer
// group newGroup named, so that runs do not pile them up on a broker that
// outlives them. Called from a suite's after hook once its services are
// stopped; a failure is reported, not thrown (the tests have already given
// their verdict).
export function deleteMade(...topics) {
  for (const [command, names] of [['delete', [...made.splice(0), ...topics]], ['delete-groups', groups.splice(0)]]) {
    if (names.length === 0) continue;
    try {
      execFileSync(tool, [brokers, command, ...names], { stdio: ['ignore', 'ignore', 'pipe'] });
    } catch (e) {
      console.error(`could not ${command} the suite's ${names.join(' ')}: ${e.stderr ?? e.message}`);
    }
  }
}

// Every message on the topic: {headers, value, batch} (batch: the parsed body).
export function readTopic(topic) {
  const out = execFileSync(tool, [brokers, 'read', topic], { maxBuffer: 64 << 20 }).toString();
  return out.split('\n').filter(Boolean).map((l) => {
    const m = JSON.parse(l);
    try { m.batch = JSON.parse(m.value); } catch { m.batch = null; }
    return m;
  });
}

// Reads until enough(messages) holds, or fails after `seconds`.
export async function waitForMessages(topic, enough, seconds = 60) {
  const deadline = Date.now() + seconds * 1000;
  let got = [];
  while (Date.now() < deadline) {
    got = readTopic(topic);
    if (enough(got)) return got;
    await new Promise((r) => setTimeout(r, 500));
  }
  throw new Error(`not on ${topic} within ${seconds} s; ${got.length} messages: ` +
    JSON.stringify(got.map((m) => m.batch?.events?.map((e) => e.type + ':' + (e.name ?? '')))));
}

// Events with their batch's context, for one anonymous id (or all).
export function eventsOf(messages, anonymousId) {
  const out = [];
  for (const m of messages) {
    if (!m.batch || (anonymousId && m.batch.context.anonymous_id !== anonymousId)) continue;
    for (const e of m.batch.events) out.push({ ...e, context: m.batch.context, headers: m.headers });
  }
  return out;
}

// The real collector; start() again after stop() keeps the port.
export class Collector {
  constructor(topic, sites) {
    this.dir = mkdtempSync(join(tmpdir(), 'cs-e2e-'));
    this.config = {
      http: { port: 0 }, admin: { port: 0 }, threads: 2, path_prefix: '/cs', access_log_every: 0,
      kafka: { brokers, topic, message_timeout_ms: 5000 },
      spool: { dir: join(this.dir, 'spool') },
      sdk: { dir: dist },
      sites,
    };
  }
  async start() {
    writeFileSync(join(this.dir, 'collector.json'), JSON.stringify(this.config));
    this.proc = spawn(collectorBin, ['--config', join(this.dir, 'collector.json')], { stdio: ['ignore', 'ignore', 'pipe'] });
    this.log = '';
    const port = await new Promise((resolve, reject) => {
      this.proc.stderr.on('data', (b) => {
        this.log += b;
        for (const line of this.log.split('\n')) {
          try { const j = JSON.parse(line); if (j.event === 'listening') resolve(j.http_port); } catch {}
        }
      });
      this.proc.on('exit', (c) => reject(new Error('collector exited ' + c + '\n' + this.log)));
    });
    this.port = port;
    this.config.http.port = port;
    return port;
  }
  async stop() {
    if (!this.proc || this.proc.exitCode !== null) return;
    const gone = new Promise((r) => this.proc.once('exit', r));
    this.proc.kill('SIGTERM');
    await gone;
  }
}

// The shop is served as the demo serves it (examples/shop/serve.mjs).
export { startShop } from '../../examples/shop/serve.mjs';

export const userAgent = 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36';

// Chromium as a person would run it (no automation flag), unless asked;
// `args`: more command-line flags (e.g. '--js-flags=--noexpose_wasm', a
// browser without WebAssembly).
export async function launch({ automation = false, args: more = [] } = {}) {
  const { chromium } = require(join(root, 'node_modules/playwright-core'));
  const args = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
    '--disable-component-update', '--disable-sync', '--no-first-run', ...more];
  if (!automation) args.push('--disable-blink-features=AutomationControlled');
  return chromium.launch({ executablePath: '/usr/bin/chromium', args });
}

// The real enrich stage (clickstream-processor enrich) from a raw topic to
// clean, bots and dlq topics of the test's own, in a consumer group of its
// own. start() resolves once it logged enrich_started.
export class Enrich {
  constructor(raw, sites = {}) {
    this.dir = mkdtempSync(join(tmpdir(), 'cs-e2e-enrich-'));
    const group = newGroup('e2e_enrich');
    this.topics = { raw, clean: newTopic('e2e_clean'), bots: newTopic('e2e_bots'), dlq: newTopic('e2e_dlq') };
    this.config = {
      log_level: 'info', root, http: { address: '127.0.0.1', port: 0 },
      kafka: { brokers, group_id: group, transactional_id: `${group}-0`, session_timeout_ms: 6000,
        transaction_timeout_ms: 20000, operation_timeout_ms: 10000 },
      topics: this.topics, stage: { commit_interval_ms: 100 }, sites,
    };
  }
  async start() {
    writeFileSync(join(this.dir, 'enrich.json'), JSON.stringify(this.config));
    this.proc = spawn(processorBin, ['enrich', '--config', join(this.dir, 'enrich.json')], { stdio: ['ignore', 'ignore', 'pipe'] });
    this.log = '';
    await new Promise((resolve, reject) => {
      this.proc.stderr.on('data', (b) => {
        this.log += b;
        for (const line of this.log.split('\n')) {
          try { if (JSON.parse(line).event === 'enrich_started') resolve(); } catch {}
        }
      });
      this.proc.on('exit', (c) => reject(new Error('enrich exited ' + c + '\n' + this.log)));
    });
  }
  async stop() {
    if (!this.proc || this.proc.exitCode !== null) return;
    const gone = new Promise((r) => this.proc.once('exit', r));
    this.proc.kill('SIGTERM');
    await gone;
  }
}

// Opens a page and waits until the beacon is ready; answers its anonymous id.
export async function openShop(context, url) {
  const page = await context.newPage();
  await page.goto(url);
  await page.evaluate(() => new Promise((r) => clickstream('ready', r)));
  return page;
}
export async function anonymousId(context) {
  return (await context.cookies()).find((c) => c.name === 'cs_aid')?.value;
}
