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

mod tls {
    /// Makes ring the process's rustls provider unless the application chose one (as the HTTP
    /// client does): with two providers compiled in, the driver's TLS setup would panic.
    pub(super) fn install_crypto_provider() {
        static CRYPTO: std::sync::Once = std::sync::Once::new();
        CRYPTO.call_once(|| {
            // ring's provider is deprecated in recent rustls: see `http::build_client`.
            #[allow(deprecated)]
            let provider = rustls::crypto::ring::default_provider();
            let _ = provider.install_default();
        });
    }
}

use super::shared::{
    LEASE, Reservation, SharedStore, StoreFuture, horizon, quota_conflict, quotas_key,
};
use super::spec::RedisUrl;
use super::{Quota, SlotId};
use crate::error::{Error, Result};

/// The one script: `ARGV[1]` is the operation (`reserve`, `confirm`, `release`, `complete`,
/// `block`). Keys: the log (id → stamp, µs), the metadata hash (quotas `q`, blocked-until `b`,
/// id sequence `seq`), the requests in flight (id → lease end) and the reservations not yet
/// confirmed (id → stamp).
///
/// `reserve` ARGV: quotas (`N:Wµs;…`), margin µs, horizon µs, lease µs, seeded (`0`/`1`), then
/// seed stamps. `confirm` ARGV: id, quotas, margin, lease. Both return `{id, now, at, flag}`:
/// flag `ok` when the caller may send now (its entry is then in flight), else wait until `at`
/// and confirm. `{-1, now, 0, stored quotas}`: the log holds other quotas; `{-2, …}`: the
/// store is empty and not yet seeded; `{-3, …}`: the reservation is gone (reserve again).
pub const SCRIPT: &str = r#"
local function s(x) return string.format('%d', x) end
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local log, meta, live, wait = KEYS[1], KEYS[2], KEYS[3], KEYS[4]
local op = ARGV[1]

-- The stamps that count at `now`, latest first: a request in flight counts as completing now;
-- a reservation not yet confirmed counts only when `with_waiting`. Only the latest `maxn`
-- stamps, the requests in flight and the reservations can matter: nothing else is read.
local function stamps(skip, with_waiting, maxn)
  local waiting = {}
  local w = redis.call('ZRANGE', wait, 0, -1)
  for i = 1, #w do waiting[w[i]] = true end
  local seen, out = {}, {}
  local function add(id, stamp, inflight)
    if seen[id] or id == skip or (waiting[id] and not with_waiting) then return end
    seen[id] = true
    if inflight and stamp < now then stamp = now end
    out[#out + 1] = stamp
  end
  local l = redis.call('ZRANGE', live, 0, -1)
  for i = 1, #l do
    local stamp = redis.call('ZSCORE', log, l[i])
    if stamp then add(l[i], tonumber(stamp), true) end
  end
  local top = redis.call('ZREVRANGE', log, 0, maxn + #w, 'WITHSCORES')
  for i = 1, #top, 2 do add(top[i], tonumber(top[i + 1]), false) end
  table.sort(out, function(a, b) return a > b end)
  return out
end

local function max_requests(quotas)
  local m = 0
  for n in string.gmatch(quotas, '(%d+):%d+') do
    if tonumber(n) > m then m = tonumber(n) end
  end
  return m
end

-- The earliest instant >= now at which every quota has room over `list`.
local function earliest(list, quotas, margin)
  local at = now
  local blocked = tonumber(redis.call('HGET', meta, 'b') or '0')
  if blocked > at then at = blocked end
  for n, w in string.gmatch(quotas, '(%d+):(%d+)') do
    local nth = list[tonumber(n)]
    if nth then
      local edge = nth + tonumber(w) + margin
      if edge > at then at = edge end
    end
  end
  return at
end

local function expire(ms)
  for _, k in ipairs({log, meta, live, wait}) do
    if redis.call('PTTL', k) < ms then redis.call('PEXPIRE', k, ms) end
  end
end

local function admit(id, at, lease)
  if at <= now then
    redis.call('ZREM', wait, id)
    local old = tonumber(redis.call('ZSCORE', log, id) or '0')
    redis.call('ZADD', log, s(math.max(old, now)), id)
    redis.call('ZADD', live, s(now + lease), id)
    return 'ok'
  end
  redis.call('ZADD', log, s(at), id)
  redis.call('ZADD', wait, s(at), id)
  return ''
end

if op == 'reserve' then
  local quotas, margin, horizon, lease = ARGV[2], tonumber(ARGV[3]), tonumber(ARGV[4]), tonumber(ARGV[5])
  redis.call('ZREMRANGEBYSCORE', log, '-inf', s(now - horizon))
  redis.call('ZREMRANGEBYSCORE', live, '-inf', s(now))
  redis.call('ZREMRANGEBYSCORE', wait, '-inf', s(now - horizon))
  local stored = redis.call('HGET', meta, 'q')
  if not stored then
    if ARGV[6] == '0' then return {-2, now, 0, ''} end
    for i = 7, #ARGV do
      redis.call('ZADD', log, 'NX', ARGV[i], 'seed:' .. i .. ':' .. ARGV[i])
    end
    redis.call('HSET', meta, 'q', quotas)
  elseif stored ~= quotas then
    if redis.call('ZCARD', log) > 0 then return {-1, now, 0, stored} end
    redis.call('HSET', meta, 'q', quotas)
  end
  local at = earliest(stamps(nil, true, max_requests(quotas)), quotas, margin)
  local id = redis.call('HINCRBY', meta, 'seq', 1)
  local flag = admit(tostring(id), at, lease)
  expire(math.floor((at - now + horizon + lease) / 1000) + 1000)
  return {id, now, at, flag}
elseif op == 'confirm' then
  local id, quotas, margin, lease = ARGV[2], ARGV[3], tonumber(ARGV[4]), tonumber(ARGV[5])
  if not redis.call('ZSCORE', wait, id) then return {-3, now, 0, ''} end
  redis.call('ZREMRANGEBYSCORE', live, '-inf', s(now))
  local at = earliest(stamps(id, false, max_requests(quotas)), quotas, margin)
  return {tonumber(id), now, at, admit(id, at, lease)}
elseif op == 'release' then
  redis.call('ZREM', log, ARGV[2])
  redis.call('ZREM', live, ARGV[2])
  redis.call('ZREM', wait, ARGV[2])
  return {0, now, 0, ''}
elseif op == 'complete' then
  local score = redis.call('ZSCORE', log, ARGV[2])
  local done = now + tonumber(ARGV[3])
  if score and done > tonumber(score) then redis.call('ZADD', log, 'XX', s(done), ARGV[2]) end
  redis.call('ZREM', live, ARGV[2])
  return {0, now, 0, ''}
elseif op == 'block' then
  local until_ = now + tonumber(ARGV[2])
  local b = tonumber(redis.call('HGET', meta, 'b') or '0')
  if until_ > b then redis.call('HSET', meta, 'b', s(until_)) end
  expire(math.floor(tonumber(ARGV[2]) / 1000) + 1000)
  return {0, now, 0, ''}
end
return redis.error_reply('enjo: unknown operation')
"#;

/// How long a connection attempt or a reply may take before the store counts as unreachable.
const TIMEOUT: Duration = Duration::from_secs(2);

fn micros(d: Duration) -> i64 {
    i64::try_from(d.as_micros()).unwrap_or(i64::MAX)
}

/// The script's answer as a [`Reservation`] on the local clock: Redis's `now` is taken about
/// half-way through the round trip that started at `now`.
fn reservation(
    id: i64,
    redis_now: i64,
    at: i64,
    flag: &str,
    now: Instant,
    rtt: Duration,
) -> Reservation {
    let delay = Duration::from_micros(u64::try_from(at - redis_now).unwrap_or(0));
    let local_now = now.checked_add(rtt / 2).unwrap_or(now);
    Reservation {
        slot: SlotId(u64::try_from(id).unwrap_or(0)),
        at: local_now.checked_add(delay).unwrap_or(local_now),
        confirmed: flag == "ok",
    }
}

/// A store shared through Redis (see `docs/rate-limiting.md`).
#[derive(Clone)]
pub struct RedisStore {
    inner: Arc<Inner>,
}

struct Inner {
    client: redis::Client,
    shown: String,
    keys: [String; 4],
    margin: Duration,
    script: redis::Script,
    /// The connection of the current process: (its fork epoch, connection).
    conn: tokio::sync::Mutex<Option<(u64, ConnectionManager)>>,
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
    /// `margin` added to every window. Connects on first use. A `rediss://` URL trusts the
    /// system's certificate authorities.
    pub fn new(url: &RedisUrl, key: &str, margin: Duration) -> Result<RedisStore> {
        RedisStore::trusting(url, key, margin, &[])
    }

    /// [`RedisStore::new`], trusting only the certificate authorities of `roots` (PEM, e.g. the
    /// client's `root_certificate_pem`) for a `rediss://` URL when `roots` is not empty.
    pub fn trusting(
        url: &RedisUrl,
        key: &str,
        margin: Duration,
        roots: &[Vec<u8>],
    ) -> Result<RedisStore> {
        let shown = url.redacted().to_owned();
        // The driver's errors may repeat the URL (and its password): never show them.
        let info =
            redis::IntoConnectionInfo::into_connection_info(url.secret_url()).map_err(|_| {
                Error::invalid_argument(format!(
                    "rate_limit_store: {shown} is not a valid Redis URL"
                ))
            })?;
        let tls = matches!(info.addr(), redis::ConnectionAddr::TcpTls { .. });
        let client = if tls {
            tls::install_crypto_provider();
            if roots.is_empty() {
                redis::Client::open(info)
            } else {
                let pem = roots.join(&b"\n"[..]);
                redis::Client::build_with_tls(
                    info,
                    redis::TlsCertificates {
                        client_tls: None,
                        root_cert: Some(pem),
                    },
                )
            }
            .map_err(|err| {
                Error::invalid_argument(format!(
                    "rate_limit_store: cannot set up TLS for {shown} with the given \
                     root_certificate_pem ({}); pass PEM certificates (-----BEGIN CERTIFICATE-----)",
                    err
                ))
            })?
        } else {
            redis::Client::open(info).map_err(|_| {
                Error::invalid_argument(format!(
                    "rate_limit_store: {shown} is not a valid Redis URL"
                ))
            })?
        };
        Ok(RedisStore {
            inner: Arc::new(Inner {
                client,
                shown,
                keys: ["log", "meta", "live", "wait"]
                    .map(|part| format!("enjo:rl:{{{key}}}:{part}")),
                margin,
                script: redis::Script::new(SCRIPT),
                conn: tokio::sync::Mutex::new(None),
                history: Mutex::new(VecDeque::new()),
            }),
        })
    }

    /// The Redis keys: the log, its metadata, the requests in flight, the reservations.
    pub fn keys(&self) -> &[String; 4] {
        &self.inner.keys
    }
}

impl Inner {
    fn unreachable(&self, err: &redis::RedisError) -> Error {
        // The driver's errors name the failure (refused, timed out, WRONGPASS, ...), never the
        // URL or its password (tested).
        let why = if err.is_connection_refusal() || err.is_io_error() || err.is_timeout() {
            format!("cannot reach it: {err}")
        } else {
            format!("it answered: {err}")
        };
        Error::rate_limit_store(&self.shown, why)
    }

    async fn connection(&self) -> std::result::Result<ConnectionManager, redis::RedisError> {
        let epoch = crate::process::fork_epoch();
        let mut slot = self.conn.lock().await;
        if let Some((owner, conn)) = slot.as_ref()
            && *owner == epoch
        {
            return Ok(conn.clone());
        }
        let config = ConnectionManagerConfig::new()
            .set_connection_timeout(Some(TIMEOUT))
            .set_response_timeout(Some(TIMEOUT))
            .set_number_of_retries(1)
            .set_max_delay(Duration::from_millis(200));
        let conn = self
            .client
            .get_connection_manager_with_config(config)
            .await?;
        *slot = Some((epoch, conn.clone()));
        Ok(conn)
    }

    /// Runs the script once; a failure drops the cached connection and tries once more on a
    /// new one.
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
            for key in &self.keys {
                invocation.key(key);
            }
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

    fn handle(&self) -> Arc<dyn SharedStore> {
        Arc::new(self.clone())
    }

    fn reserve_now(
        &self,
        quotas: &[Quota],
        now: Instant,
    ) -> StoreFuture<'static, Result<Reservation>> {
        let inner = self.inner.clone();
        let key = quotas_key(quotas);
        let horizon = micros(horizon(quotas, inner.margin));
        Box::pin(async move {
            let mut args = vec![
                "reserve".to_owned(),
                key.clone(),
                micros(inner.margin).to_string(),
                horizon.to_string(),
                micros(LEASE).to_string(),
                "0".to_owned(),
            ];
            let started = Instant::now();
            let mut reply = inner.call(&args).await?;
            if reply.0 == -2 {
                // An empty Redis: refill it with what this process sent lately.
                args[5] = "1".to_owned();
                let history = inner
                    .history
                    .lock()
                    .unwrap_or_else(|poisoned| poisoned.into_inner())
                    .clone();
                let fresh_after = reply.1 - horizon;
                args.extend(
                    history
                        .iter()
                        .filter(|&&t| t > fresh_after)
                        .map(i64::to_string),
                );
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
            let (id, redis_now, at, flag) = reply;
            if id == -1 {
                let stored = flag;
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
            Ok(reservation(id, redis_now, at, &flag, now, rtt))
        })
    }

    fn confirm_now(
        &self,
        slot: SlotId,
        quotas: &[Quota],
        now: Instant,
    ) -> StoreFuture<'static, Result<Reservation>> {
        let this = self.clone();
        let quotas = quotas.to_vec();
        Box::pin(async move {
            let inner = &this.inner;
            let args = [
                "confirm".to_owned(),
                slot.0.to_string(),
                quotas_key(&quotas),
                micros(inner.margin).to_string(),
                micros(LEASE).to_string(),
            ];
            let started = Instant::now();
            let (id, redis_now, at, flag) = inner.call(&args).await?;
            if id < 0 {
                // The reservation is gone (an empty Redis, or it aged out): take a new one.
                return this.reserve_now(&quotas, now).await;
            }
            Ok(reservation(
                id,
                redis_now,
                at,
                &flag,
                now,
                started.elapsed(),
            ))
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
