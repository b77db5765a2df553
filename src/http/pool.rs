//! The keep-alive [`Pool`]: how many connections may be in use at once, who
//! waits for one, and which idle connections can be reused.
//!
//! In the path of a request this is the first stop: the session asks for a
//! [`Lease`] (a counted slot) for the request's [`PoolKey`], then for an idle
//! connection with that key; only if there is none does it dial a new one.
//! When the response body has been read to its end and the response allows
//! it, the connection comes back here; dropping the lease frees the slot and
//! hands it to the oldest waiter that can use it.
//!
//! The limits count connections in use, not idle ones, as aiohttp's
//! `TCPConnector(limit=100, limit_per_host=0)` does.

use std::cell::{Cell, RefCell};
use std::collections::{HashMap, VecDeque};
use std::future::poll_fn;
use std::rc::Rc;
use std::task::{Poll, Waker};
use std::time::{Duration, Instant};

use crate::http::connection::Connection;

/// What makes two connections interchangeable: the same scheme, host and
/// port, reached the same way (directly or through the same proxy).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub(crate) struct PoolKey {
    /// True for `https`.
    pub(crate) https: bool,
    /// The origin's host, as in the URL.
    pub(crate) host: String,
    /// The origin's port.
    pub(crate) port: u16,
    /// The proxy URL, if the connection goes through one.
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
    /// Everything mutable; never borrowed across an await.
    state: RefCell<PoolState>,
    /// The limits, fixed at creation.
    limits: PoolLimits,
}

/// The pool's mutable part.
#[derive(Default)]
struct PoolState {
    /// Slots taken (connections in use or being opened), all keys together.
    in_use: usize,
    /// Slots taken per key. Keys stay when their count drops to 0, like
    /// the idle lists below: one small entry per origin ever used, in
    /// exchange for no map churn (and no allocation) per request.
    in_use_per_key: HashMap<Rc<PoolKey>, usize>,
    /// Reusable connections, most recently returned last (reused first:
    /// the freshest is the least likely to have been closed by the server).
    idle: HashMap<Rc<PoolKey>, Vec<IdleConnection>>,
    /// Idle connections across all keys.
    idle_count: usize,
    /// When the oldest idle connection expires (`None` when none is idle):
    /// the moment `close_expired` next has work to do.
    next_expiry: Option<Instant>,
    /// Requests waiting for a slot, oldest first.
    waiters: VecDeque<Rc<PoolWaiter>>,
}

/// A connection waiting to be reused.
struct IdleConnection {
    /// The connection, its previous body fully read.
    connection: Connection,
    /// Loop time when it came back to the pool.
    since: Instant,
}

/// One request waiting for a slot.
struct PoolWaiter {
    /// The key it wants a slot for.
    key: Rc<PoolKey>,
    /// Set when the pool counted a slot for it (its `Lease` is then owed).
    granted: Cell<bool>,
    /// The waiting task's latest waker.
    waker: RefCell<Option<Waker>>,
}

/// One counted slot for a key; dropping it frees the slot.
pub(crate) struct Lease {
    /// The pool the slot belongs to.
    pool: Rc<Pool>,
    /// The key it was counted under.
    key: Rc<PoolKey>,
}

impl Pool {
    /// An empty pool with `limits`.
    pub(crate) fn new(limits: PoolLimits) -> Rc<Pool> {
        Rc::new(Pool { state: RefCell::new(PoolState::default()), limits })
    }

    /// Waits, first come first served, until a slot for `key` is free, and
    /// takes it.
    pub(crate) async fn acquire(self: &Rc<Pool>, key: &Rc<PoolKey>) -> Lease {
        let waiter = {
            let mut state = self.state.borrow_mut();
            if self.has_room(&state, key) {
                state.take_slot(key);
                return Lease { pool: Rc::clone(self), key: Rc::clone(key) };
            }
            let waiter =
                Rc::new(PoolWaiter { key: Rc::clone(key), granted: Cell::new(false), waker: RefCell::new(None) });
            state.waiters.push_back(Rc::clone(&waiter));
            waiter
        };
        // If this future is dropped while queued, the guard takes it out of
        // the line, or hands back a slot granted to it in the meantime.
        let guard = WaitGuard { pool: self, waiter: &waiter };
        poll_fn(|cx| {
            if guard.waiter.granted.get() {
                return Poll::Ready(());
            }
            // Pending: `release_slot` sets `granted` and wakes this waker
            // when a slot for our key frees up.
            *guard.waiter.waker.borrow_mut() = Some(cx.waker().clone());
            Poll::Pending
        })
        .await;
        std::mem::forget(guard);
        Lease { pool: Rc::clone(self), key: Rc::clone(key) }
    }

    /// Takes the most recently returned idle connection for `key` that is
    /// still usable, closing the ones that were closed by the server
    /// meanwhile (and, across all keys, those that idled too long).
    pub(crate) fn take_idle(&self, key: &PoolKey, now: Instant) -> Option<Connection> {
        let mut state = self.state.borrow_mut();
        self.close_expired(&mut state, now);
        let PoolState { idle, idle_count, .. } = &mut *state;
        let list = idle.get_mut(key)?;
        while let Some(candidate) = list.pop() {
            *idle_count -= 1;
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
        let mut state = self.state.borrow_mut();
        self.close_expired(&mut state, now);
        if self.limits.total != 0 && state.idle_count >= self.limits.total {
            state.close_oldest();
        }
        let idle = IdleConnection { connection, since: now };
        match state.idle.get_mut(&**key) {
            Some(list) => list.push(idle),
            None => {
                state.idle.insert(Rc::clone(key), vec![idle]);
            }
        }
        state.idle_count += 1;
        let expiry = now.checked_add(self.limits.idle_timeout);
        state.next_expiry = match (state.next_expiry, expiry) {
            (Some(next), Some(expiry)) => Some(next.min(expiry)),
            (next, expiry) => next.or(expiry),
        };
    }

    /// Idle connections for all keys (for tests and `Session::idle_connections`).
    pub(crate) fn idle_count(&self) -> usize {
        self.state.borrow().idle_count
    }

    /// Closes, for every key, the idle connections older than the idle
    /// timeout. It only walks the idle lists once the earliest expiry has
    /// passed, so most calls cost one comparison.
    fn close_expired(&self, state: &mut PoolState, now: Instant) {
        if state.next_expiry.is_none_or(|next| now < next) {
            return;
        }
        let timeout = self.limits.idle_timeout;
        let mut next_expiry: Option<Instant> = None;
        state.idle.retain(|_, list| {
            list.retain(|idle| now.saturating_duration_since(idle.since) < timeout);
            if let Some(oldest) = list.first().and_then(|idle| idle.since.checked_add(timeout)) {
                next_expiry = Some(next_expiry.map_or(oldest, |next| next.min(oldest)));
            }
            // Lists emptied here go: their hosts have been quiet a while.
            !list.is_empty()
        });
        state.idle_count = state.idle.values().map(Vec::len).sum();
        state.next_expiry = next_expiry;
    }

    /// Slots in use right now.
    pub(crate) fn in_use(&self) -> usize {
        self.state.borrow().in_use
    }

    /// Closes every idle connection.
    pub(crate) fn close_idle(&self) {
        let mut state = self.state.borrow_mut();
        let idle = std::mem::take(&mut state.idle);
        state.idle_count = 0;
        state.next_expiry = None;
        drop(state);
        drop(idle);
    }

    /// True when both limits leave room for one more slot for `key`.
    fn has_room(&self, state: &PoolState, key: &PoolKey) -> bool {
        let total_ok = self.limits.total == 0 || state.in_use < self.limits.total;
        let key_ok =
            self.limits.per_host == 0 || state.in_use_per_key.get(key).copied().unwrap_or(0) < self.limits.per_host;
        total_ok && key_ok
    }

    /// Frees a slot and passes free slots to waiters, oldest first. A
    /// waiter whose host is at its per-host limit keeps its place while
    /// younger waiters for other hosts go ahead.
    fn release_slot(&self, key: &PoolKey) {
        let mut wakers = Vec::new();
        {
            let mut state = self.state.borrow_mut();
            state.give_back(key);
            let mut index = 0;
            while index < state.waiters.len() {
                let candidate = Rc::clone(&state.waiters[index]);
                if self.limits.total != 0 && state.in_use >= self.limits.total {
                    break;
                }
                if self.has_room(&state, &candidate.key) {
                    state.take_slot(&candidate.key);
                    candidate.granted.set(true);
                    state.waiters.remove(index);
                    wakers.extend(candidate.waker.borrow_mut().take());
                } else {
                    index += 1;
                }
            }
        }
        // Wake outside the borrow: waking only queues the tasks.
        wakers.into_iter().for_each(Waker::wake);
    }
}

impl PoolState {
    /// Closes the idle connection that came back longest ago.
    fn close_oldest(&mut self) {
        // Each list is in return order, so its first entry is its oldest.
        let oldest = self
            .idle
            .iter()
            .filter_map(|(key, list)| Some((list.first()?.since, key)))
            .min_by_key(|(since, _)| *since)
            .map(|(_, key)| Rc::clone(key));
        if let Some(key) = oldest
            && let Some(list) = self.idle.get_mut(&key)
        {
            list.remove(0);
            self.idle_count -= 1;
        }
    }

    /// Counts one more slot for `key`.
    fn take_slot(&mut self, key: &Rc<PoolKey>) {
        self.in_use += 1;
        match self.in_use_per_key.get_mut(&**key) {
            Some(count) => *count += 1,
            None => {
                self.in_use_per_key.insert(Rc::clone(key), 1);
            }
        }
    }

    /// Uncounts one slot for `key`.
    fn give_back(&mut self, key: &PoolKey) {
        self.in_use -= 1;
        if let Some(count) = self.in_use_per_key.get_mut(key) {
            *count -= 1;
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
        self.pool.release_slot(&self.key);
    }
}

/// Cleans up after an `acquire` that was dropped while waiting.
struct WaitGuard<'a> {
    /// The pool waited on.
    pool: &'a Rc<Pool>,
    /// The waiter to remove.
    waiter: &'a Rc<PoolWaiter>,
}

impl Drop for WaitGuard<'_> {
    fn drop(&mut self) {
        if self.waiter.granted.get() {
            // A slot was counted for us but nobody will use it: pass it on.
            self.pool.release_slot(&self.waiter.key);
        } else {
            self.pool.state.borrow_mut().waiters.retain(|waiter| !Rc::ptr_eq(waiter, self.waiter));
        }
    }
}
