// The platform backend publishing to many clients at once: the official `pusher` Node SDK
// triggering `<event>` with data {round: 1, 2, 3, ...} on every channel listed on stdin's first
// line (JSON array), up to 100 channels per trigger (Pusher's limit), one round after another,
// until a second stdin line arrives (or stdin closes). Prints "round <n>" once every channel has
// been sent round n (a failed trigger is retried, so a round never has holes).
// Usage: node pusher-backend-rounds.mjs '<config json: {appId,key,secret,host,port}>' <event> <pause ms>
import { createRequire } from 'node:module';
import readline from 'node:readline';
import { setTimeout as sleep } from 'node:timers/promises';

const require = createRequire(import.meta.url);
const Pusher = require('pusher');

const [configJson, event, pauseMs] = process.argv.slice(2);
const pusher = new Pusher({ ...JSON.parse(configJson), useTLS: false });
const lines = readline.createInterface({ input: process.stdin })[Symbol.asyncIterator]();
const first = await lines.next();
const channels = JSON.parse(first.value ?? '[]');
let stop = false;
lines.next().then(() => { stop = true; });

for (let round = 1; !stop; round++) {
  for (let from = 0; from < channels.length; from += 100) {
    const chunk = channels.slice(from, from + 100);
    for (;;) {
      try { await pusher.trigger(chunk, event, { round }); break; }
      catch (e) { console.error('trigger failed, retrying:', e?.status ?? '', e?.message ?? e); await sleep(100); }
    }
  }
  console.log(`round ${round}`);
  await sleep(Number(pauseMs));
}
console.log('stopped');
process.exit(0);
