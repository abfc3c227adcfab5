// The JavaScript peers of user-agent parsing and bot detection: ua-parser-js
// (browser, OS, device type) and isbot, each as its README shows, on the
// same list. Writes one JSON line a user agent to stdout and the CPU time of
// each library's loop (process.cpuUsage, user + system) as the last line:
// {"timing":{"ua_parser_js_s":..,"isbot_s":..}}.
//   node peer.mjs LIST
import { readFileSync } from 'node:fs';
import { UAParser } from 'ua-parser-js';
import { isbot } from 'isbot';

const list = readFileSync(process.argv[2], 'utf8').split('\n').filter(Boolean);
const cpu = () => { const u = process.cpuUsage(); return (u.user + u.system) / 1e6; };

// Each loop runs twice and the second pass is timed: the first warms the JIT.
const parsed = new Array(list.length);
let t0 = 0;
for (let pass = 0; pass < 2; pass++) {
  t0 = cpu();
  for (let i = 0; i < list.length; i++) parsed[i] = UAParser(list[i]);
}
const uaParserS = cpu() - t0;

const bots = new Array(list.length);
for (let pass = 0; pass < 2; pass++) {
  t0 = cpu();
  for (let i = 0; i < list.length; i++) bots[i] = isbot(list[i]);
}
const isbotS = cpu() - t0;

const out = [];
for (let i = 0; i < list.length; i++) {
  const p = parsed[i];
  out.push(JSON.stringify({ browser: p.browser.name ?? '', os: p.os.name ?? '', device: p.device.type ?? 'desktop', bot: bots[i] }));
}
out.push(JSON.stringify({ timing: { ua_parser_js_s: uaParserS, isbot_s: isbotS } }));
process.stdout.write(out.join('\n') + '\n');
