//! The keep-alive [`Pool`]: how many connections may be in use at once, who
//! waits for one, and which idle connections can be reused.
//!
//! In the path of a request this is the first stop: the session asks for a
//! [`Lease`] (a counted slot) for the request's [`PoolKey`], then for an idle
//! connection with that key; only if there is none does it dial a new one.
//! When the response body has been read to its end and the response allows
//! it, the connection comes back here; dropping the lease frees the slot.
//!
//! The slots are the runtime's own [`Semaphore`]s: one for all hosts
//! together (`limit`) and one per key (`limit_per_host`), taken in that
//! order: per key first, so a request whose host is at its own limit waits
//! in its host's line and never holds up requests for other hosts in the
//! shared one. Each line is first come, first served, and a permit handed
//! to a request that was cancelled meanwhile passes on to the next.
//!
//! The limits count connections in use, not idle ones, as aiohttp's
//! `TCPConnector(limit=100, limit_per_host=0)` does.

use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::rc::Rc;
use std::time::{Duration, Instant};

use crate::http::connection::Connection;
use crate::sync::{OwnedSemaphorePermit, Semaphore};

/// What makes two connections interchangeable: the same scheme, host and
/// port, reached the same way (directly or through the same proxy).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub(crate) struct PoolKey {
    pub(crate) https: bool,
    /// The origin's host, as in the URL.
    pub(crate) host: String,
    pub(crate) port: u16,
    /// The proxy's key (URL and credentials), if the connection goes
    /// through one.
    pub(crate) proxy: Option<Rc<str>>,
}

/// The pool's limits, from the session's settings.
#[derive(Clone, Copy, Debug)]
pub(crate) struct PoolLimits {
    /// Connections in use at once across all hosts; 0 means no limit.
    pub(crate) total: usize,
    /// Connections in use at once per [`PoolKey`]; 0 means no limit.
    pub(crate) per_host: usize,
    /// How long an idle connection may wait to be reused before it is closed.
    pub(crate) idle_timeout: Duration,
}

/// Connection slots and idle connections, shared by a session's requests.
pub(crate) struct Pool {
    /// The limits, fixed at creation.
    limits: PoolLimits,
    /// Slots for all hosts together; `None` without a total limit.
    total: Option<Rc<Semaphore>>,
    /// Slots per key, made on first use; unused without a per-host limit.
    /// One entry per origin ever used: small, and no churn per request.
    per_key: RefCell<HashMap<Rc<PoolKey>, Rc<Semaphore>>>,
    /// Leases alive now (connections in use or being opened).
    in_use: Cell<usize>,
    /// Reusable connections; never borrowed across an await.
    idle: RefCell<IdleConnections>,
}

/// The idle side of the pool.
#[derive(Default)]
struct IdleConnections {
    /// Per key, most recently returned last (reused first: the freshest is
    /// the least likely to have been closed by the server).
    by_key: HashMap<Rc<PoolKey>, Vec<IdleConnection>>,
    /// Idle connections across all keys.
    count: usize,
    /// When the oldest idle connection expires (`None` when none is idle):
    /// the moment `close_expired` next has work to do.
    next_expiry: Option<Instant>,
}

/// A connection waiting to be reused.
struct IdleConnection {
    /// The connection, its previous body fully read.
    connection: Connection,
    /// Loop time when it came back to the pool.
    since: Instant,
}

/// One counted slot for a key; dropping it frees the slot.
pub(crate) struct Lease {
    /// The pool the slot belongs to.
    pool: Rc<Pool>,
    /// The key it was counted under.
    key: Rc<PoolKey>,
    /// The per-key permit, with a per-host limit.
    _host: Option<OwnedSemaphorePermit>,
    /// The all-hosts permit, with a total limit.
    _total: Option<OwnedSemaphorePermit>,
}

impl Pool {
    /// An empty pool with `limits`.
    pub(crate) fn new(limits: PoolLimits) -> Rc<Pool> {
        Rc::new(Pool {
            limits,
            total: (limits.total > 0).then(|| Rc::new(Semaphore::new(limits.total))),
            per_key: RefCell::new(HashMap::new()),
            in_use: Cell::new(0),
            idle: RefCell::new(IdleConnections::default()),
        })
    }

    /// Waits, first come first served, until a slot for `key` is free, and
    /// takes it. Pending inside means a semaphore holds our waker until a
    /// lease drops and its permit is handed to us.
    pub(crate) async fn acquire(self: &Rc<Pool>, key: &Rc<PoolKey>) -> Lease {
        let host = match self.per_key_semaphore(key) {
            Some(semaphore) => Some(semaphore.acquire_owned().await),
            None => None,
        };
        let total = match &self.total {
            Some(semaphore) => Some(semaphore.acquire_owned().await),
            None => None,
        };
        self.in_use.set(self.in_use.get() + 1);
        Lease { pool: Rc::clone(self), key: Rc::clone(key), _host: host, _total: total }
    }

    /// The semaphore for `key`'s per-host limit, made on first use.
    fn per_key_semaphore(&self, key: &Rc<PoolKey>) -> Option<Rc<Semaphore>> {
        if self.limits.per_host == 0 {
            return None;
        }
        let mut per_key = self.per_key.borrow_mut();
        let semaphore = match per_key.get(&**key) {
            Some(semaphore) => semaphore,
            None => per_key.entry(Rc::clone(key)).or_insert_with(|| Rc::new(Semaphore::new(self.limits.per_host))),
        };
        Some(Rc::clone(semaphore))
    }

    /// Takes the most recently returned idle connection for `key` that is
    /// still usable, closing the ones that were closed by the server
    /// meanwhile (and, across all keys, those that idled too long).
    pub(crate) fn take_idle(&self, key: &PoolKey, now: Instant) -> Option<Connection> {
        let mut idle = self.idle.borrow_mut();
        idle.close_expired(now, self.limits.idle_timeout);
        let IdleConnections { by_key, count, .. } = &mut *idle;
        let list = by_key.get_mut(key)?;
        while let Some(candidate) = list.pop() {
            *count -= 1;
            let mut connection = candidate.connection;
            if connection.looks_open() {
                return Some(connection);
            }
            // Dropping closes it.
        }
        None
    }

    /// Puts a connection whose response was read to its end back for reuse.
    /// With `limit` idle connections already, the oldest one is closed to
    /// make room: a crawl over many hosts must not hoard sockets.
    pub(crate) fn put_idle(&self, key: &Rc<PoolKey>, connection: Connection, now: Instant) {
        let mut idle = self.idle.borrow_mut();
        idle.close_expired(now, self.limits.idle_timeout);
        if self.limits.total != 0 && idle.count >= self.limits.total {
            idle.close_oldest();
        }
        let entry = IdleConnection { connection, since: now };
        match idle.by_key.get_mut(&**key) {
            Some(list) => list.push(entry),
            None => {
                idle.by_key.insert(Rc::clone(key), vec![entry]);
            }
        }
        idle.count += 1;
        if let Some(expiry) = now.checked_add(self.limits.idle_timeout) {
            idle.next_expiry = Some(idle.next_expiry.map_or(expiry, |next| next.min(expiry)));
        }
    }

    /// Idle connections for all keys (for tests and `Session::idle_connections`).
    pub(crate) fn idle_count(&self) -> usize {
        self.idle.borrow().count
    }

    /// Slots in use right now.
    pub(crate) fn in_use(&self) -> usize {
        self.in_use.get()
    }

    /// Closes every idle connection.
    pub(crate) fn close_idle(&self) {
        let closed = std::mem::take(&mut *self.idle.borrow_mut());
        // Dropped after the borrow ends: closing sockets runs no user code,
        // but nothing is gained by holding the borrow.
        drop(closed);
    }
}

impl IdleConnections {
    /// Closes, for every key, the idle connections older than `timeout`.
    /// It only walks the lists once the earliest expiry has passed, so most
    /// calls cost one comparison.
    fn close_expired(&mut self, now: Instant, timeout: Duration) {
        if self.next_expiry.is_none_or(|next| now < next) {
            return;
        }
        let mut next_expiry: Option<Instant> = None;
        self.by_key.retain(|_, list| {
            list.retain(|idle| now.saturating_duration_since(idle.since) < timeout);
            if let Some(oldest) = list.first().and_then(|idle| idle.since.checked_add(timeout)) {
                next_expiry = Some(next_expiry.map_or(oldest, |next| next.min(oldest)));
            }
            // Lists emptied here go: their hosts have been quiet a while.
            !list.is_empty()
        });
        self.count = self.by_key.values().map(Vec::len).sum();
        self.next_expiry = next_expiry;
    }

    /// Closes the idle connection that came back longest ago.
    fn close_oldest(&mut self) {
        // Each list is in return order, so its first entry is its oldest.
        let oldest = self
            .by_key
            .iter()
            .filter_map(|(key, list)| Some((list.first()?.since, key)))
            .min_by_key(|(since, _)| *since)
            .map(|(_, key)| Rc::clone(key));
        if let Some(key) = oldest
            && let Some(list) = self.by_key.get_mut(&key)
        {
            list.remove(0);
            self.count -= 1;
        }
    }
}

impl Lease {
    /// The key this slot is counted under.
    pub(crate) fn key(&self) -> &Rc<PoolKey> {
        &self.key
    }

    /// The pool the slot belongs to.
    pub(crate) fn pool(&self) -> &Pool {
        &self.pool
    }
}

impl Drop for Lease {
    fn drop(&mut self) {
        // The permits drop right after this, each waking the next waiter
        // in its line.
        self.pool.in_use.set(self.pool.in_use.get() - 1);
    }
}
