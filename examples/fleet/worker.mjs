// One fleet worker in Node: sends messages until a deadline through a SHARED rate limiter
// store, then prints what happened as one JSON line.
//
//   node worker.mjs NAME UNTIL_EPOCH_SECONDS
//
// Store, quotas and server from the environment, as worker.py documents (ENJO_BASE_URL,
// ENJO_API_TOKEN, ENJO_RATE_LIMIT_STORE, FLEET_QUOTAS="10/0.5,20/6" in seconds).
import { Enjo, EnjoError } from 'enjo';

const [name, untilArg] = process.argv.slice(2);
const until = Number(untilArg) * 1000;
const rateLimit = (process.env.FLEET_QUOTAS ?? '10/5,20/60')
  .split(',')
  .filter(Boolean)
  .map((pair) => {
    const [requests, seconds] = pair.split('/').map(Number);
    return { requests, windowMs: seconds * 1000 };
  });

const counts = { ok: 0, server_429: 0 };
const client = new Enjo({ rateLimit, maxRetries: 0 });
try {
  for (let i = 1; Date.now() < until; i += 1) {
    try {
      await client.sendMessage('faq-bot', `${name} ${i}: my laptop will not boot`);
      counts.ok += 1;
    } catch (err) {
      if (!(err instanceof EnjoError)) throw err;
      if (err.status === 429) counts.server_429 += 1;
      else counts[err.name] = (counts[err.name] ?? 0) + 1;
    }
  }
} finally {
  client.close?.();
}
console.log(JSON.stringify({ worker: name, language: 'node', ...counts }));
