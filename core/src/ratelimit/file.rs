//! [`FileStore`]: one log for every process of a machine that names the same state file.
//!
//! Every operation takes an exclusive OS advisory lock on `<path>.lock` (released by the OS
//! when its holder dies, so `kill -9` never stalls the others), reads the state file, applies
//! the [reservation rule](super::shared), writes the new state to `<path>.tmp` and renames it
//! over `<path>` (so a crash mid-write never leaves half a state), then unlocks. Stamps are
//! wall-clock microseconds, the only clock the processes share: a clock step makes at worst
//! one window of wrong waiting, never a panic. A corrupt or truncated state file is reset
//! with a warning.

use std::fs::{File, OpenOptions};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use serde_json::{Value, json};

use super::shared::{
    LEASE, Reservation, SharedStore, StoreFuture, earliest, horizon, quota_conflict, quotas_key,
};
use super::{Quota, SlotId};
use crate::error::{Error, Result};

/// An entry's state: sent and answered, in flight until a lease end, or reserved.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Done,
    Live(i64),
    Waiting,
}

/// One entry: id, stamp in wall-clock µs, state.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Entry {
    id: u64,
    stamp: i64,
    kind: Kind,
}

/// The state file's contents.
#[derive(Debug, Default, Clone, PartialEq)]
struct State {
    quotas: String,
    seq: u64,
    blocked: i64,
    entries: Vec<Entry>,
}

impl State {
    /// The stamps that count at `now` (see the [rule](super::shared)).
    fn stamps(&self, skip: Option<u64>, with_waiting: bool, now: i64) -> Vec<i64> {
        self.entries
            .iter()
            .filter(|e| Some(e.id) != skip && (with_waiting || e.kind != Kind::Waiting))
            .map(|e| match e.kind {
                Kind::Live(lease) if lease > now => e.stamp.max(now),
                _ => e.stamp,
            })
            .collect()
    }

    /// Admits entry `id` at `now` when `at <= now` (returns true), else moves it to `at`.
    fn admit(&mut self, id: u64, at: i64, now: i64) -> bool {
        let Some(entry) = self.entries.iter_mut().find(|e| e.id == id) else {
            return false;
        };
        if at <= now {
            entry.stamp = entry.stamp.max(now);
            entry.kind = Kind::Live(now.saturating_add(micros(LEASE)));
            true
        } else {
            entry.stamp = at;
            entry.kind = Kind::Waiting;
            false
        }
    }

    fn prune(&mut self, now: i64, horizon: i64) {
        let keep_after = now.saturating_sub(horizon);
        self.entries.retain(|e| e.stamp > keep_after);
        for e in &mut self.entries {
            if matches!(e.kind, Kind::Live(lease) if lease <= now) {
                e.kind = Kind::Done;
            }
        }
    }
}

impl State {
    fn to_json(&self) -> Value {
        json!({
            "v": 1,
            "quotas": self.quotas,
            "seq": self.seq,
            "blocked": self.blocked,
            "entries": self.entries.iter().map(|e| match e.kind {
                Kind::Done => json!([e.id, e.stamp, 0, 0]),
                Kind::Live(lease) => json!([e.id, e.stamp, 1, lease]),
                Kind::Waiting => json!([e.id, e.stamp, 2, 0]),
            }).collect::<Vec<_>>(),
        })
    }

    fn from_json(text: &str) -> Option<State> {
        let v: Value = serde_json::from_str(text).ok()?;
        if v.get("v")?.as_u64()? != 1 {
            return None;
        }
        let entries = v
            .get("entries")?
            .as_array()?
            .iter()
            .map(|e| {
                let kind = match e.get(2)?.as_u64()? {
                    0 => Kind::Done,
                    1 => Kind::Live(e.get(3)?.as_i64()?),
                    2 => Kind::Waiting,
                    _ => return None,
                };
                Some(Entry {
                    id: e.get(0)?.as_u64()?,
                    stamp: e.get(1)?.as_i64()?,
                    kind,
                })
            })
            .collect::<Option<Vec<_>>>()?;
        Some(State {
            quotas: v.get("quotas")?.as_str()?.to_owned(),
            seq: v.get("seq")?.as_u64()?,
            blocked: v.get("blocked")?.as_i64()?,
            entries,
        })
    }
}

/// Wall-clock microseconds since the Unix epoch (0 for a clock before 1970).
fn wall_us() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_micros()).unwrap_or(i64::MAX))
}

fn micros(d: Duration) -> i64 {
    i64::try_from(d.as_micros()).unwrap_or(i64::MAX)
}

/// A store shared by the processes of one machine through a state file (see the
/// docs in `docs/rate-limiting.md`).
#[derive(Debug, Clone)]
pub struct FileStore {
    inner: Arc<Paths>,
}

#[derive(Debug)]
struct Paths {
    state: PathBuf,
    lock: PathBuf,
    tmp: PathBuf,
    margin: Duration,
}

impl FileStore {
    /// A store over the state file `path` (created on first use), with `margin` added to every
    /// window (see [`DEFAULT_MARGIN`](super::shared::DEFAULT_MARGIN)).
    pub fn new(path: impl Into<PathBuf>, margin: Duration) -> FileStore {
        let state: PathBuf = path.into();
        let with = |suffix: &str| {
            let mut name = state.as_os_str().to_owned();
            name.push(suffix);
            PathBuf::from(name)
        };
        FileStore {
            inner: Arc::new(Paths {
                lock: with(".lock"),
                tmp: with(".tmp"),
                state,
                margin,
            }),
        }
    }

    fn describe_path(path: &Path) -> String {
        format!("file:{}", path.display())
    }

    /// Runs `op` on the state under the lock, on a blocking thread (file I/O and a lock that
    /// another process may hold never stall an async thread).
    fn run<R: Send + 'static>(
        &self,
        op: impl FnOnce(&mut State, i64) -> Result<R> + Send + 'static,
    ) -> StoreFuture<'static, Result<R>> {
        let paths = self.inner.clone();
        Box::pin(async move {
            let task = tokio::task::spawn_blocking(move || {
                let shown = FileStore::describe_path(&paths.state);
                let fail = |what: &str, err: std::io::Error| {
                    Error::rate_limit_store(&shown, format!("cannot {what}: {err}"))
                };
                let lock = OpenOptions::new()
                    .read(true)
                    .write(true)
                    .create(true)
                    .truncate(false)
                    .open(&paths.lock)
                    .map_err(|e| fail("open its lock file", e))?;
                lock.lock().map_err(|e| fail("lock it", e))?;
                locked(&paths, lock, op)
            });
            task.await
                .map_err(|e| Error::internal(format_args!("file store task: {e}")))?
        })
    }

    /// The entries of the log (ids and wall-clock µs stamps), for tests and tools.
    pub fn snapshot(&self) -> Result<Vec<(u64, i64)>> {
        let (state, _) = read_state(&self.inner.state)
            .map_err(|e| Error::rate_limit_store(&self.describe(), e.to_string()))?;
        let mut entries: Vec<(u64, i64)> = state.entries.iter().map(|e| (e.id, e.stamp)).collect();
        entries.sort_by_key(|&(_, t)| t);
        Ok(entries)
    }
}

/// Reads the state; an absent file is an empty state, a corrupt one too (with `true`).
fn read_state(path: &Path) -> std::io::Result<(State, bool)> {
    let mut text = String::new();
    match File::open(path) {
        Ok(mut file) => {
            if file.read_to_string(&mut text).is_err() {
                return Ok((State::default(), true));
            }
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok((State::default(), false)),
        Err(e) => return Err(e),
    }
    if text.trim().is_empty() {
        return Ok((State::default(), !text.is_empty()));
    }
    match State::from_json(&text) {
        Some(state) => Ok((state, false)),
        None => Ok((State::default(), true)),
    }
}

fn locked<R>(
    paths: &Paths,
    lock: File,
    op: impl FnOnce(&mut State, i64) -> Result<R>,
) -> Result<R> {
    let shown = FileStore::describe_path(&paths.state);
    let fail = |what: &str, err: std::io::Error| {
        Error::rate_limit_store(&shown, format!("cannot {what}: {err}"))
    };
    let (mut state, corrupt) = read_state(&paths.state).map_err(|e| fail("read it", e))?;
    if corrupt {
        tracing::warn!(
            target: "enjo::ratelimit",
            store = %shown,
            "rate limit: the state file was corrupt or truncated; starting from an empty log"
        );
    }
    let before = state.clone();
    let result = op(&mut state, wall_us())?;
    if state != before || corrupt {
        let text = state.to_json().to_string();
        let mut tmp = File::create(&paths.tmp).map_err(|e| fail("write it", e))?;
        tmp.write_all(text.as_bytes())
            .map_err(|e| fail("write it", e))?;
        drop(tmp);
        std::fs::rename(&paths.tmp, &paths.state).map_err(|e| fail("replace it", e))?;
    }
    drop(lock); // unlocks
    Ok(result)
}

/// A store's answer (id, µs until the instant, admitted) as a [`Reservation`] on the local
/// clock.
fn reservation(answer: Option<(u64, i64, bool)>, now: Instant) -> Result<Reservation> {
    let (id, delay, confirmed) =
        answer.ok_or_else(|| Error::internal("file store: a new reservation vanished"))?;
    let delay = Duration::from_micros(u64::try_from(delay).unwrap_or(0));
    Ok(Reservation {
        slot: SlotId(id),
        at: now.checked_add(delay).unwrap_or(now),
        confirmed,
    })
}

impl SharedStore for FileStore {
    fn describe(&self) -> String {
        FileStore::describe_path(&self.inner.state)
    }

    fn handle(&self) -> Arc<dyn SharedStore> {
        Arc::new(self.clone())
    }

    fn reserve_now(
        &self,
        quotas: &[Quota],
        now: Instant,
    ) -> StoreFuture<'static, Result<Reservation>> {
        let key = quotas_key(quotas);
        let quotas = quotas.to_vec();
        let margin = self.inner.margin;
        let shown = self.describe();
        let run = self.run(move |state, wall| {
            state.prune(wall, micros(horizon(&quotas, margin)));
            if state.entries.is_empty() || state.quotas.is_empty() {
                state.quotas = key.clone();
            } else if state.quotas != key {
                return Err(quota_conflict(&shown, &state.quotas, &key));
            }
            let stamps = state.stamps(None, true, wall);
            let at = earliest(&stamps, &quotas, wall, state.blocked, micros(margin));
            state.seq += 1;
            let id = state.seq;
            state.entries.push(Entry {
                id,
                stamp: at,
                kind: Kind::Waiting,
            });
            let confirmed = state.admit(id, at, wall);
            Ok(Some((id, at - wall, confirmed)))
        });
        Box::pin(async move { reservation(run.await?, now) })
    }

    fn confirm_now(
        &self,
        slot: SlotId,
        quotas: &[Quota],
        now: Instant,
    ) -> StoreFuture<'static, Result<Reservation>> {
        let list = quotas.to_vec();
        let margin = self.inner.margin;
        let run = self.run({
            let list = list.clone();
            move |state, wall| {
                if !state
                    .entries
                    .iter()
                    .any(|e| e.id == slot.0 && e.kind == Kind::Waiting)
                {
                    return Ok(None);
                }
                let stamps = state.stamps(Some(slot.0), false, wall);
                let at = earliest(&stamps, &list, wall, state.blocked, micros(margin));
                let confirmed = state.admit(slot.0, at, wall);
                Ok(Some((slot.0, at - wall, confirmed)))
            }
        });
        let this = self.clone();
        Box::pin(async move {
            match run.await? {
                Some(answer) => reservation(Some(answer), now),
                // The entry is gone (the file was reset): take a new one.
                None => this.reserve_now(&list, now).await,
            }
        })
    }

    fn release(&self, slot: SlotId) -> StoreFuture<'static, Result<()>> {
        self.run(move |state, _| {
            state.entries.retain(|e| e.id != slot.0);
            Ok(())
        })
    }

    fn complete(&self, slot: SlotId, after: Duration) -> StoreFuture<'static, Result<()>> {
        self.run(move |state, wall| {
            let done = wall.saturating_add(micros(after));
            for e in &mut state.entries {
                if e.id == slot.0 {
                    e.stamp = e.stamp.max(done);
                    e.kind = Kind::Done;
                }
            }
            Ok(())
        })
    }

    fn block_for(&self, wait: Duration) -> StoreFuture<'static, Result<()>> {
        self.run(move |state, wall| {
            state.blocked = state.blocked.max(wall.saturating_add(micros(wait)));
            Ok(())
        })
    }
}
