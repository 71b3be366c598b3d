// Computes reference values with the official Pusher Node server SDK (`pusher` 5.x), so the
// C# library (server/Realtime.Pusher) can be checked against it field by field.
//
// Usage: node pusher-sdk-vectors.mjs <input.json> <output.json>
// Input:  { key, secret, appId,
//           channelAuth: [{ socketId, channel, channelData? }],
//           userAuth:    [{ socketId, userData }],
//           webhooks:    [{ body, signature }],           // signature: the one C# computed
//           triggers:    [{ timestamp, channels, event, data?, dataObject?, params? }],
//           batches:     [{ timestamp, batch: [{ channel, name, data?|dataObject?, socket_id?, info? }] }],
//           requests:    [{ timestamp, method, path, params?, body? }] }
// Output: the same lists, one result per input, in order; a throwing input gives { error }.
import { createRequire } from 'node:module';
import { readFileSync, writeFileSync } from 'node:fs';

const require = createRequire(import.meta.url);
const Pusher = require('pusher');

const input = JSON.parse(readFileSync(process.argv[2], 'utf8'));
const pusher = new Pusher({ appId: input.appId, key: input.key, secret: input.secret, host: '127.0.0.1', port: 1 });
const token = new Pusher.Token(input.key, input.secret);

const realNow = Date.now;
const at = (timestamp, fn) => {
  Date.now = () => timestamp * 1000;
  try { return fn(); } finally { Date.now = realNow; }
};
const attempt = (fn) => {
  try { return fn(); } catch (e) { return { error: String(e && e.message || e) }; }
};

// Capture what trigger/triggerBatch would POST instead of sending it.
let captured = null;
pusher.post = (options) => { captured = options; return Promise.resolve(); };
const signedPost = (timestamp) => {
  const path = pusher.config.prefixPath(captured.path);
  const body = JSON.stringify(captured.body);
  const query = at(timestamp, () =>
    pusher.createSignedQueryString({ method: 'POST', path, params: captured.params, body }));
  return { path, body, query };
};
const dataOf = (item) => (item.dataObject !== undefined ? item.dataObject : item.data);

const output = {
  channelAuth: (input.channelAuth ?? []).map((c) => attempt(() =>
    pusher.authorizeChannel(c.socketId, c.channel, c.channelData))),

  userAuth: (input.userAuth ?? []).map((u) => attempt(() =>
    pusher.authenticateUser(u.socketId, u.userData))),

  webhooks: (input.webhooks ?? []).map((w) => attempt(() => {
    const hook = pusher.webhook({
      headers: { 'x-pusher-key': input.key, 'x-pusher-signature': w.signature, 'content-type': 'application/json' },
      rawBody: w.body,
    });
    const valid = hook.isValid();
    return { signature: token.sign(w.body), validWithGivenSignature: valid, events: valid ? hook.getEvents() : null };
  })),

  triggers: (input.triggers ?? []).map((t) => attempt(() => {
    captured = null;
    pusher.trigger(t.channels, t.event, dataOf(t), t.params);
    return signedPost(t.timestamp);
  })),

  batches: (input.batches ?? []).map((b) => attempt(() => {
    captured = null;
    const batch = b.batch.map((e) => {
      const item = { channel: e.channel, name: e.name, data: dataOf(e) };
      if (e.socket_id !== undefined) item.socket_id = e.socket_id;
      if (e.info !== undefined) item.info = e.info;
      return item;
    });
    pusher.triggerBatch(batch);
    return signedPost(b.timestamp);
  })),

  requests: (input.requests ?? []).map((r) => attempt(() => ({
    query: at(r.timestamp, () =>
      pusher.createSignedQueryString({ method: r.method, path: r.path, params: r.params, body: r.body })),
  }))),
};

writeFileSync(process.argv[3], JSON.stringify(output));
