// The platform backend, as it publishes today: the official `pusher` Node SDK triggering one event.
// Usage: node pusher-backend.mjs '<config json: {appId,key,secret,host,port}>' <channel> <event> '<data json>'
// Prints the SDK's answer status; exits non-zero if the trigger failed.
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const Pusher = require('pusher');

const [configJson, channel, event, dataJson] = process.argv.slice(2);
const config = JSON.parse(configJson);
const pusher = new Pusher({ ...config, useTLS: false });
try {
  const res = await pusher.trigger(channel, event, JSON.parse(dataJson));
  console.log(res.status);
} catch (e) {
  console.error('trigger failed:', e?.status ?? '', e?.body ?? e?.message ?? e);
  process.exit(1);
}
