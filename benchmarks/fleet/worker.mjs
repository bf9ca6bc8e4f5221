// One Node worker of a fleet: sends messages as fast as its shared limiter lets it until a
// deadline, and prints one JSON line per request (when it asked, what came back).
//
//   node worker.mjs enjo|bottleneck NAME UNTIL_EPOCH_S
//
// Environment as worker.py documents. `bottleneck` is Bottleneck in clustering mode (ioredis
// on FLEET_REDIS_SOCKET), configured as close to the quotas as it allows: one limiter per
// quota, each a reservoir of N refreshed every W (a fixed window: Bottleneck has no sliding
// window), chained (longest window first, then the short one right before sending), in
// front of a plain fetch() POST.
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const [kind, name, untilArg] = process.argv.slice(2);
const until = Number(untilArg) * 1000;
const quotas = process.env.FLEET_QUOTAS.split(',').filter(Boolean).map((pair) => {
  const [requests, seconds] = pair.split('/').map(Number);
  return { requests, windowMs: Math.round(seconds * 1000) };
});
const emit = (i, ask, status) =>
  process.stdout.write(JSON.stringify({ w: name, i, ask_ms: ask, status }) + '\n');

async function runEnjo() {
  const { Enjo, EnjoError } = require('enjo');
  const client = new Enjo({ rateLimit: quotas, maxRetries: 0 });
  try {
    for (let i = 1; Date.now() < until; i += 1) {
      const ask = Date.now();
      try {
        await client.sendMessage('faq-bot', `${name} ${i}`);
        emit(i, ask, 200);
      } catch (err) {
        if (!(err instanceof EnjoError)) throw err;
        emit(i, ask, err.status ?? 0);
      }
    }
  } finally {
    client.close?.();
  }
}

async function runBottleneck() {
  const Bottleneck = require('bottleneck');
  const connection = new Bottleneck.IORedisConnection({
    clientOptions: { path: process.env.FLEET_REDIS_SOCKET },
  });
  const limiters = [...quotas]
    .sort((a, b) => b.windowMs - a.windowMs)
    .map((q) => new Bottleneck({
      id: `enjo-fleet-${q.requests}-${q.windowMs}`,
      datastore: 'ioredis',
      connection,
      reservoir: q.requests,
      reservoirRefreshAmount: q.requests,
      reservoirRefreshInterval: q.windowMs,
    }));
  for (let k = 0; k + 1 < limiters.length; k += 1) limiters[k].chain(limiters[k + 1]);
  const url = `${process.env.ENJO_BASE_URL}/v1/bots/faq-bot/message`;
  const headers = {
    Authorization: `Bearer ${process.env.ENJO_API_TOKEN}`,
    'Content-Type': 'application/json',
  };
  for (let i = 1; Date.now() < until; i += 1) {
    const ask = Date.now();
    const status = await limiters[0].schedule(async () => {
      const reply = await fetch(url, {
        method: 'POST', headers, body: JSON.stringify({ message: { text: `${name} ${i}` } }),
      });
      await reply.arrayBuffer();
      return reply.status;
    });
    emit(i, ask, status);
  }
  await connection.disconnect(false);
}

await (kind === 'enjo' ? runEnjo() : runBottleneck());
