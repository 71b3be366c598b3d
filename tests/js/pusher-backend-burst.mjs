// The platform backend publishing continuously: the official `pusher` Node SDK triggering
// `<event>` with data {i: 1, 2, 3, ...} on one channel, one after another, until a line arrives
// on stdin (or stdin closes). Prints "published <i>" after each trigger Pusher accepted.
// Usage: node pusher-backend-burst.mjs '<config json: {appId,key,secret,host,port}>' <channel> <event> <pause ms>
import { createRequire } from 'node:module';
import { setTimeout as sleep } from 'node:timers/promises';

const require = createRequire(import.meta.url);
const Pusher = require('pusher');

const [configJson, channel, event, pauseMs] = process.argv.slice(2);
const pusher = new Pusher({ ...JSON.parse(configJson), useTLS: false });
let stop = false;
process.stdin.on('data', () => { stop = true; });
process.stdin.on('end', () => { stop = true; });

let i = 1;
while (!stop) {
  try {
    await pusher.trigger(channel, event, { i });
    console.log(`published ${i}`);
    i++;
  } catch (e) {
    // Not published (as far as the SDK knows): the same i again, so the sequence has no holes.
    console.error('trigger failed, retrying:', e?.status ?? '', e?.message ?? e);
  }
  await sleep(Number(pauseMs));
}
console.log('stopped');
process.exit(0);
