// Prints an HS256 platform JWT for local development (make dev).
// Usage: node scripts/dev-jwt.mjs <secret> [sub] [role] [name] [classes,comma,separated]
import { createHmac } from 'node:crypto';

const [secret, sub = 'dev-educator', role = 'educator', name = 'Dev Educator', classes = 'class-1'] = process.argv.slice(2);
if (!secret) {
  console.error('usage: node scripts/dev-jwt.mjs <secret> [sub] [role] [name] [classes]');
  process.exit(2);
}
const b64 = (obj) => Buffer.from(JSON.stringify(obj)).toString('base64url');
const now = Math.floor(Date.now() / 1000);
const head = b64({ alg: 'HS256', typ: 'JWT' });
const body = b64({ sub, name, role, classes: classes.split(',').filter(Boolean), iat: now, exp: now + 7 * 24 * 3600 });
const sig = createHmac('sha256', secret).update(`${head}.${body}`).digest('base64url');
console.log(`${head}.${body}.${sig}`);
