//! [`Pool`]: a few connections, each lent to one task at a time.
//!
//! A multiplexed [`Connection`] serves any number of tasks, but a blocking
//! command (BLMOVE, XREADGROUP with BLOCK) or a WATCH ... EXEC sequence
//! needs the connection to itself: the first would hold up everyone
//! queued behind it, the second would see other tasks' writes inside its
//! transaction. A pool lends out whole connections: while one task blocks
//! on its lease, the others get other connections.
//!
//! At most `max_size` connections exist; a task that asks when all are
//! lent waits, first come first served (a [`Semaphore`]). A returned
//! connection goes back to the idle list unless it was lost, in which case
//! the next lease opens a fresh one.

use std::cell::RefCell;
use std::ops::Deref;
use std::rc::Rc;

use crate::sync::{OwnedSemaphorePermit, Semaphore};

use super::{ConnectOptions, Connection, Error};

/// A pool of connections to one server. Cloning it shares the pool.
///
/// ```no_run
/// use std::time::Duration;
/// use corio::redis::{ConnectOptions, Pool, Side};
/// # corio::run(async {
/// let pool = Pool::new(ConnectOptions::from_url("redis://127.0.0.1/")?, 4);
/// let worker = pool.get().await?;
/// // Blocks this lease only; other tasks' pool.get() gets other connections.
/// let job: Option<String> = worker.blmove("jobs", "doing", Side::Left, Side::Right, Duration::from_secs(5)).await?;
/// # Ok::<(), corio::redis::Error>(())
/// # }).unwrap();
/// ```
#[derive(Clone)]
pub struct Pool {
    /// What the clones share.
    inner: Rc<PoolInner>,
}

/// The pool's state.
struct PoolInner {
    /// How to open a connection.
    options: ConnectOptions,
    /// Connections not lent out, most recently returned last.
    idle: RefCell<Vec<Connection>>,
    /// One permit per connection that may exist.
    permits: Rc<Semaphore>,
}

/// A connection lent by a [`Pool`]; it derefs to [`Connection`] and goes
/// back to the pool when dropped.
pub struct PooledConnection {
    /// The connection; `None` only during drop.
    conn: Option<Connection>,
    /// The pool it returns to.
    pool: Rc<PoolInner>,
    /// The right to exist, given back after the connection is.
    _permit: OwnedSemaphorePermit,
}

impl Pool {
    /// A pool of at most `max_size` connections (at least 1), opened as
    /// they are first needed.
    pub fn new(options: ConnectOptions, max_size: usize) -> Pool {
        Pool {
            inner: Rc::new(PoolInner {
                options,
                idle: RefCell::new(Vec::new()),
                permits: Rc::new(Semaphore::new(max_size.max(1))),
            }),
        }
    }

    /// Lends a connection: an idle one, or a new one, waiting if
    /// `max_size` are lent out.
    ///
    /// # Errors
    /// Opening a new connection failed (as [`ConnectOptions::connect`]).
    pub async fn get(&self) -> Result<PooledConnection, Error> {
        let permit = self.inner.permits.acquire_owned().await;
        let reused = self.inner.idle.borrow_mut().pop();
        let conn = match reused {
            Some(conn) => conn,
            None => self.inner.options.connect().await?,
        };
        Ok(PooledConnection { conn: Some(conn), pool: Rc::clone(&self.inner), _permit: permit })
    }

    /// How many connections are idle in the pool.
    pub fn idle_count(&self) -> usize {
        self.inner.idle.borrow().len()
    }
}

impl Deref for PooledConnection {
    type Target = Connection;

    fn deref(&self) -> &Connection {
        self.conn.as_ref().expect("present until drop")
    }
}

impl Drop for PooledConnection {
    fn drop(&mut self) {
        // A lost connection is dropped; its permit still frees a place, so
        // the next lease opens a fresh one. The permit field drops after
        // this body, so the connection is idle before a waiter wakes.
        if let Some(conn) = self.conn.take()
            && conn.lost().is_none()
        {
            self.pool.idle.borrow_mut().push(conn);
        }
    }
}
