//! [`RedisStore`]: one log for every process of every host that names the same Redis and key.
//!
//! Every operation is one call of one Lua script ([`SCRIPT`], sent with `EVALSHA`; the driver
//! loads it again on `NOSCRIPT`, so `SCRIPT FLUSH` or a restart never wedges a caller), which
//! reads Redis `TIME` as the only clock (seconds and microseconds combined as numbers) and
//! applies the [reservation rule](super::shared) to a sorted set (`enjo:rl:{key}:log`, member:
//! the entry's id, score: its stamp in µs) and a hash (`enjo:rl:{key}:meta`: the quotas, the
//! shared "blocked until", the id sequence). The braces make both keys one Redis Cluster
//! hash slot. Both keys expire once idle for the longest window.
//!
//! When Redis comes back empty (restart, failover, eviction), the script says so before
//! admitting anyone, and the caller calls again with what this process reserved within the
//! longest window, so a fresh Redis cannot grant a second full window to the fleet... as far
//! as this process's share of it goes: each process refills its own entries on its first call.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use redis::aio::{ConnectionManager, ConnectionManagerConfig};

use super::shared::{
    Reservation, SharedStore, StoreFuture, horizon, quota_conflict, quotas_key,
};
use super::spec::RedisUrl;
use super::{Quota, SlotId};
use crate::error::{Error, Result};

/// The one script: `ARGV[1]` is the operation (`reserve`, `release`, `complete`, `block`).
///
/// `reserve` ARGV: quotas (`N:Wµs;…`), margin µs, horizon µs, seeded (`0`/`1`), then seed
/// stamps. Returns `{id, now, at, ""}`; `{-1, now, 0, stored quotas}` when the log holds other
/// quotas; `{-2, now, 0, ""}` when the store is empty and not yet seeded.
pub const SCRIPT: &str = r#"
local function s(x) return string.format('%d', x) end
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local log, meta = KEYS[1], KEYS[2]
local op = ARGV[1]
if op == 'reserve' then
  local quotas, margin, horizon = ARGV[2], tonumber(ARGV[3]), tonumber(ARGV[4])
  redis.call('ZREMRANGEBYSCORE', log, '-inf', s(now - horizon))
  local stored = redis.call('HGET', meta, 'q')
  if not stored then
    if ARGV[5] == '0' then return {-2, now, 0, ''} end
    for i = 6, #ARGV do
      redis.call('ZADD', log, 'NX', ARGV[i], 'seed:' .. i .. ':' .. ARGV[i])
    end
    redis.call('HSET', meta, 'q', quotas)
  elseif stored ~= quotas then
    if redis.call('ZCARD', log) > 0 then return {-1, now, 0, stored} end
    redis.call('HSET', meta, 'q', quotas)
  end
  local at = now
  local blocked = tonumber(redis.call('HGET', meta, 'b') or '0')
  if blocked > at then at = blocked end
  for n, w in string.gmatch(quotas, '(%d+):(%d+)') do
    n = tonumber(n)
    local nth = redis.call('ZREVRANGE', log, n - 1, n - 1, 'WITHSCORES')
    if nth[2] then
      local edge = tonumber(nth[2]) + tonumber(w) + margin
      if edge > at then at = edge end
    end
  end
  local id = redis.call('HINCRBY', meta, 'seq', 1)
  redis.call('ZADD', log, s(at), id)
  local ttl = math.floor((at - now + horizon) / 1000) + 1000
  redis.call('PEXPIRE', log, ttl)
  redis.call('PEXPIRE', meta, ttl)
  return {id, now, at, ''}
elseif op == 'release' then
  redis.call('ZREM', log, ARGV[2])
  return {0, now, 0, ''}
elseif op == 'complete' then
  local score = redis.call('ZSCORE', log, ARGV[2])
  local done = now + tonumber(ARGV[3])
  if score and done > tonumber(score) then redis.call('ZADD', log, 'XX', s(done), ARGV[2]) end
  return {0, now, 0, ''}
elseif op == 'block' then
  local until_ = now + tonumber(ARGV[2])
  local b = tonumber(redis.call('HGET', meta, 'b') or '0')
  if until_ > b then redis.call('HSET', meta, 'b', s(until_)) end
  local ttl = redis.call('PTTL', meta)
  local need = math.floor(tonumber(ARGV[2]) / 1000) + 1000
  if ttl < need then redis.call('PEXPIRE', meta, need) end
  return {0, now, 0, ''}
end
return redis.error_reply('enjo: unknown operation')
"#;

/// How long a connection attempt or a reply may take before the store counts as unreachable.
const TIMEOUT: Duration = Duration::from_secs(2);

fn micros(d: Duration) -> i64 {
    i64::try_from(d.as_micros()).unwrap_or(i64::MAX)
}

/// A store shared through Redis (see the [module docs](self)).
#[derive(Clone)]
pub struct RedisStore {
    inner: Arc<Inner>,
}

struct Inner {
    client: redis::Client,
    shown: String,
    keys: [String; 2],
    margin: Duration,
    script: redis::Script,
    /// The connection of the current process: (pid, connection).
    conn: tokio::sync::Mutex<Option<(u32, ConnectionManager)>>,
    /// What this process reserved, in Redis time (µs), for refilling an empty Redis.
    history: Mutex<VecDeque<i64>>,
}

impl std::fmt::Debug for RedisStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RedisStore")
            .field("url", &self.inner.shown)
            .field("key", &self.inner.keys[0])
            .finish_non_exhaustive()
    }
}

impl RedisStore {
    /// A store on the Redis at `url`, for the log named `key` (keys `enjo:rl:{key}:…`), with
    /// `margin` added to every window. Connects on first use.
    pub fn new(url: &RedisUrl, key: &str, margin: Duration) -> Result<RedisStore> {
        let shown = url.redacted().to_owned();
        let client = redis::Client::open(url.secret_url()).map_err(|_| {
            Error::invalid_argument(format!("rate_limit_store: {shown} is not a valid Redis URL"))
        })?;
        Ok(RedisStore {
            inner: Arc::new(Inner {
                client,
                shown,
                keys: [format!("enjo:rl:{{{key}}}:log"), format!("enjo:rl:{{{key}}}:meta")],
                margin,
                script: redis::Script::new(SCRIPT),
                conn: tokio::sync::Mutex::new(None),
                history: Mutex::new(VecDeque::new()),
            }),
        })
    }

    /// The Redis keys of the log and of its metadata.
    pub fn keys(&self) -> &[String; 2] {
        &self.inner.keys
    }
}

impl Inner {
    fn unreachable(&self, err: &redis::RedisError) -> Error {
        // The driver's text never holds the URL's password, but keep only its kind and
        // detail to be sure nothing else leaks.
        let why = match err.detail() {
            Some(detail) => format!("{:?}: {detail}", err.kind()),
            None => format!("{:?}", err.kind()),
        };
        let why = if err.is_connection_refusal() || err.is_io_error() || err.is_timeout() {
            format!("cannot reach it ({why}; {err})")
        } else {
            why
        };
        Error::rate_limit_store(&self.shown, why)
    }

    async fn connection(&self) -> std::result::Result<ConnectionManager, redis::RedisError> {
        let pid = std::process::id();
        let mut slot = self.conn.lock().await;
        if let Some((owner, conn)) = slot.as_ref()
            && *owner == pid
        {
            return Ok(conn.clone());
        }
        let config = ConnectionManagerConfig::new()
            .set_connection_timeout(Some(TIMEOUT))
            .set_response_timeout(Some(TIMEOUT))
            .set_number_of_retries(1)
            .set_max_delay(Duration::from_millis(200));
        let conn = self.client.get_connection_manager_with_config(config).await?;
        *slot = Some((pid, conn.clone()));
        Ok(conn)
    }

    /// Runs the script once; a failure drops the cached connection (its runtime may be gone)
    /// and tries once more on a new one.
    async fn call(&self, args: &[String]) -> Result<(i64, i64, i64, String)> {
        let mut last = None;
        for _ in 0..2 {
            let mut conn = match self.connection().await {
                Ok(conn) => conn,
                Err(err) => {
                    last = Some(err);
                    continue;
                }
            };
            let mut invocation = self.script.prepare_invoke();
            invocation.key(&self.keys[0]).key(&self.keys[1]);
            for arg in args {
                invocation.arg(arg);
            }
            match invocation.invoke_async(&mut conn).await {
                Ok(reply) => return Ok(reply),
                Err(err) => {
                    let retry = err.is_io_error()
                        || err.is_connection_dropped()
                        || err.is_connection_refusal()
                        || err.is_timeout();
                    *self.conn.lock().await = None;
                    if !retry {
                        return Err(self.unreachable(&err));
                    }
                    last = Some(err);
                }
            }
        }
        Err(match last {
            Some(err) => self.unreachable(&err),
            None => Error::rate_limit_store(&self.shown, "no connection"),
        })
    }
}

impl SharedStore for RedisStore {
    fn describe(&self) -> String {
        self.inner.shown.clone()
    }

    fn reserve<'a>(
        &'a self,
        quotas: &'a [Quota],
        now: Instant,
    ) -> StoreFuture<'a, Result<Reservation>> {
        Box::pin(async move {
            let inner = &*self.inner;
            let key = quotas_key(quotas);
            let horizon = micros(horizon(quotas, inner.margin));
            let mut args = vec![
                "reserve".to_owned(),
                key.clone(),
                micros(inner.margin).to_string(),
                horizon.to_string(),
                "0".to_owned(),
            ];
            let started = Instant::now();
            let mut reply = inner.call(&args).await?;
            if reply.0 == -2 {
                // An empty Redis: refill it with what this process sent lately.
                args[4] = "1".to_owned();
                let history = inner
                    .history
                    .lock()
                    .unwrap_or_else(|poisoned| poisoned.into_inner())
                    .clone();
                let fresh_after = reply.1 - horizon;
                args.extend(history.iter().filter(|&&t| t > fresh_after).map(i64::to_string));
                if !history.is_empty() {
                    tracing::warn!(
                        target: "enjo::ratelimit",
                        store = %inner.shown,
                        entries = history.len(),
                        "rate limit: the Redis store was empty; refilling it with this process's recent requests"
                    );
                }
                reply = inner.call(&args).await?;
            }
            let rtt = started.elapsed();
            let (id, redis_now, at, stored) = reply;
            if id == -1 {
                return Err(quota_conflict(&inner.shown, &stored, &key));
            }
            if id < 0 {
                return Err(Error::rate_limit_store(
                    &inner.shown,
                    "the store was emptied again while refilling it",
                ));
            }
            {
                let mut history = inner
                    .history
                    .lock()
                    .unwrap_or_else(|poisoned| poisoned.into_inner());
                history.push_back(at);
                while history.front().is_some_and(|&t| t <= redis_now - horizon) {
                    history.pop_front();
                }
            }
            // Redis's `now` is taken about half-way through the round trip.
            let delay = Duration::from_micros(u64::try_from(at - redis_now).unwrap_or(0));
            let local_now = now.checked_add(rtt / 2).unwrap_or(now);
            Ok(Reservation {
                slot: SlotId(u64::try_from(id).unwrap_or(0)),
                at: local_now.checked_add(delay).unwrap_or(local_now),
            })
        })
    }

    fn release(&self, slot: SlotId) -> StoreFuture<'static, Result<()>> {
        let this = self.clone();
        Box::pin(async move {
            this.inner
                .call(&["release".to_owned(), slot.0.to_string()])
                .await
                .map(drop)
        })
    }

    fn complete(&self, slot: SlotId, after: Duration) -> StoreFuture<'static, Result<()>> {
        let this = self.clone();
        Box::pin(async move {
            this.inner
                .call(&[
                    "complete".to_owned(),
                    slot.0.to_string(),
                    micros(after).to_string(),
                ])
                .await
                .map(drop)
        })
    }

    fn block_for(&self, wait: Duration) -> StoreFuture<'static, Result<()>> {
        let this = self.clone();
        Box::pin(async move {
            this.inner
                .call(&["block".to_owned(), micros(wait).to_string()])
                .await
                .map(drop)
        })
    }
}
