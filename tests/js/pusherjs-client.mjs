// A pusher-js client driven over stdin/stdout, so C# tests can use the real dashboard
// library. One JSON object per line each way.
//
// Start:  node pusherjs-client.mjs '<config json>'
//   config: {key, host, port, forceTLS?, authEndpoint?, userAuthEndpoint?, headers?}
// Commands (stdin): {op:"subscribe", channel} | {op:"unsubscribe", channel}
//   | {op:"trigger", channel, event, data} (client event) | {op:"members", channel}
//   | {op:"signin"} | {op:"disconnect"}
//   | {op:"bind", channel, event} (a named handler: pusher-js passes metadata such as user_id only to those)
// Output (stdout): {type:"state", current, socketId} | {type:"subscribed", channel, members?}
//   | {type:"subscription_error", channel, status, error} | {type:"event", channel, event, data, userId}
//   | {type:"member_added"|"member_removed", channel, id, info} | {type:"members", channel, members}
//   | {type:"triggered", channel, event, ok} | {type:"signed_in", userData} | {type:"error", message}
//   | {type:"bound", channel, event} (the handler of "bind" is in place)
//   | {type:"bound_event", channel, event, data, userId} (from "bind")
import { createRequire } from 'node:module';
import readline from 'node:readline';

const require = createRequire(import.meta.url);
const Pusher = require('pusher-js');

const config = JSON.parse(process.argv[2] ?? '{}');
const emit = (msg) => process.stdout.write(JSON.stringify(msg) + '\n');

const pusher = new Pusher(config.key, {
  cluster: 'local',
  wsHost: config.host,
  wsPort: config.port,
  wssPort: config.port,
  forceTLS: !!config.forceTLS,
  enabledTransports: ['ws'],
  disableStats: true,
  channelAuthorization: {
    endpoint: config.authEndpoint ?? 'http://127.0.0.1:1/unset',
    transport: 'ajax',
    headers: config.headers ?? {},
  },
  userAuthentication: {
    endpoint: config.userAuthEndpoint ?? 'http://127.0.0.1:1/unset',
    transport: 'ajax',
    headers: config.headers ?? {},
  },
});

pusher.connection.bind('state_change', ({ current }) =>
  emit({ type: 'state', current, socketId: pusher.connection.socket_id ?? null }));
pusher.connection.bind('error', (err) =>
  emit({ type: 'error', message: JSON.stringify(err?.error ?? err ?? null) }));

// pusher-js keeps sign-in success internal; the raw connection message says it.
pusher.connection.bind('message', (msg) => {
  if (msg.event === 'pusher:signin_success') emit({ type: 'signed_in', userData: msg.data?.user_data ?? null });
});

const membersOf = (channel) => {
  const list = [];
  channel.members?.each?.((m) => list.push({ id: m.id, info: m.info }));
  return list;
};

function subscribe(name) {
  const channel = pusher.subscribe(name);
  channel.bind('pusher:subscription_succeeded', () =>
    emit({ type: 'subscribed', channel: name, members: name.startsWith('presence-') ? membersOf(channel) : undefined }));
  channel.bind('pusher:subscription_error', (err) =>
    emit({ type: 'subscription_error', channel: name, status: err?.status ?? null, error: String(err?.error ?? err?.type ?? '') }));
  channel.bind('pusher:member_added', (m) => emit({ type: 'member_added', channel: name, id: m.id, info: m.info }));
  channel.bind('pusher:member_removed', (m) => emit({ type: 'member_removed', channel: name, id: m.id, info: m.info }));
  channel.bind_global((event, data, metadata) => {
    if (event.startsWith('pusher:') || event.startsWith('pusher_internal:')) return;
    emit({ type: 'event', channel: name, event, data, userId: metadata?.user_id ?? null });
  });
}

const rl = readline.createInterface({ input: process.stdin });
rl.on('line', (line) => {
  if (!line.trim()) return;
  let cmd;
  try { cmd = JSON.parse(line); } catch (e) { emit({ type: 'error', message: 'bad command: ' + line }); return; }
  switch (cmd.op) {
    case 'subscribe': subscribe(cmd.channel); break;
    case 'unsubscribe': pusher.unsubscribe(cmd.channel); emit({ type: 'unsubscribed', channel: cmd.channel }); break;
    case 'trigger': {
      const ok = pusher.channel(cmd.channel)?.trigger(cmd.event, cmd.data) ?? false;
      emit({ type: 'triggered', channel: cmd.channel, event: cmd.event, ok });
      break;
    }
    case 'bind':
      pusher.channel(cmd.channel)?.bind(cmd.event, (data, metadata) =>
        emit({ type: 'bound_event', channel: cmd.channel, event: cmd.event, data, userId: metadata?.user_id ?? null }));
      emit({ type: 'bound', channel: cmd.channel, event: cmd.event });
      break;
    case 'members': emit({ type: 'members', channel: cmd.channel, members: membersOf(pusher.channel(cmd.channel) ?? {}) }); break;
    case 'signin': pusher.signin(); break;
    case 'disconnect': pusher.disconnect(); break;
    default: emit({ type: 'error', message: 'unknown op ' + cmd.op });
  }
});
rl.on('close', () => { pusher.disconnect(); setTimeout(() => process.exit(0), 50); });
