//! [`Connection`]: one socket, shared by every task that holds a clone.
//!
//! Redis answers commands in the order it receives them, so a connection
//! needs no request ids: it keeps a FIFO line of *reply slots*, one per
//! command sent, and the n-th reply fills the n-th slot. Two small tasks
//! run beside the callers:
//!
//! 1. A caller encodes its command into the shared outgoing buffer and
//!    puts its slot at the back of the line, in one step with no await in
//!    between, so bytes and slots can never get out of order, then wakes
//!    the writer and waits on its slot.
//! 2. The writer task writes whatever the buffer holds. Commands from many
//!    tasks that arrive while a write is in progress go out together in
//!    the next one: pipelining for free.
//! 3. The reader task reads each reply ([`Wire`]) and fills the slot at
//!    the front of the line, waking its caller.
//! 4. If the socket fails, the server closes it, or a reply is not RESP,
//!    the connection is *lost*: every slot in line is filled with
//!    [`Error::ConnectionLost`], and every later command fails at once with
//!    the same reason. Nobody is left waiting on a dead socket.
//!
//! A caller that gives up (cancelled, or its reply timeout passes) leaves
//! its slot in line; the reply, when it comes, fills the abandoned slot and
//! is dropped, so the replies after it still reach their callers.
//!
//! This is a `RefCell` and a `VecDeque`, not a channel or a lock: every
//! party runs on the loop's one thread, and each step above is one
//! synchronous borrow.

use std::cell::RefCell;
use std::collections::VecDeque;
use std::future::poll_fn;
use std::rc::Rc;
use std::task::{Poll, Waker};
use std::time::Duration;

use crate::TaskHandle;
use crate::sync::Event;

use super::stream::Stream;
use super::wire::Wire;
use super::{Cmd, ConnectOptions, Error, FromValue, TimeoutKind, Value};

/// A multiplexed connection: clone it into as many tasks as you like; their
/// commands share one socket and are pipelined.
///
/// Blocking commands (`BLMOVE`, `XREADGROUP ... BLOCK`) hold up every
/// command sent after them on the same connection until they return, as
/// they do in every Redis client; give them a connection of their own, from
/// a [`Pool`](super::Pool).
///
/// ```no_run
/// # corio::run(async {
/// let conn = corio::redis::Connection::open("redis://127.0.0.1/").await?;
/// let tasks: Vec<_> = (0..100)
///     .map(|_| {
///         let conn = conn.clone();
///         corio::create_task(async move { conn.incr("hits").await })
///     })
///     .collect();
/// for task in tasks {
///     task.await.unwrap()?;
/// }
/// # Ok::<(), corio::redis::Error>(())
/// # }).unwrap();
/// ```
#[derive(Clone)]
pub struct Connection {
    /// The shared state and the two tasks, dropped with the last clone.
    inner: Rc<Inner>,
}

/// What the clones of one connection share.
struct Inner {
    /// The state the tasks share with the callers.
    shared: Rc<Shared>,
    /// Whether the handshake switched to RESP3.
    resp3: bool,
    /// The limit on waiting for one reply.
    reply_timeout: Option<Duration>,
    /// The reader task, cancelled on drop.
    reader: TaskHandle,
    /// The writer task, cancelled on drop.
    writer: TaskHandle,
}

impl Drop for Inner {
    fn drop(&mut self) {
        // The tasks hold only `Shared`, so without this they would keep the
        // socket open after the last clone is gone.
        self.reader.cancel();
        self.writer.cancel();
    }
}

/// State shared by the callers, the reader and the writer.
struct Shared {
    /// The socket, for the writer and to shut down when the connection is lost.
    stream: Rc<Stream>,
    /// Encoded commands not yet handed to the socket.
    outgoing: RefCell<Vec<u8>>,
    /// Set when `outgoing` gains bytes; the writer waits on it.
    wake_writer: Event,
    /// One slot per command sent and not yet answered, oldest first.
    waiting: RefCell<VecDeque<Rc<Slot>>>,
    /// Why the connection was lost, once it was.
    lost: RefCell<Option<String>>,
}

/// Where one reply lands.
#[derive(Default)]
struct Slot {
    /// The reply, or why there will be none.
    reply: RefCell<Option<Result<Value, Error>>>,
    /// The caller to wake when the reply lands.
    waker: RefCell<Option<Waker>>,
}

impl Slot {
    /// Fills the slot and wakes its caller.
    fn fill(&self, reply: Result<Value, Error>) {
        *self.reply.borrow_mut() = Some(reply);
        if let Some(waker) = self.waker.borrow_mut().take() {
            waker.wake();
        }
    }

    /// Waits for the reply.
    async fn wait(&self) -> Result<Value, Error> {
        poll_fn(|cx| match self.reply.borrow_mut().take() {
            Some(reply) => Poll::Ready(reply),
            None => {
                // The reader task (or `Shared::lose`) fills this slot and
                // wakes this waker.
                *self.waker.borrow_mut() = Some(cx.waker().clone());
                Poll::Pending
            }
        })
        .await
    }
}

impl Shared {
    /// Marks the connection lost (the first reason wins), fails every
    /// waiting caller, and shuts the socket so the other task stops too.
    fn lose(&self, why: String) {
        let why = self.lost.borrow_mut().get_or_insert(why).clone();
        let waiting = std::mem::take(&mut *self.waiting.borrow_mut());
        for slot in waiting {
            slot.fill(Err(Error::ConnectionLost(why.clone())));
        }
        self.stream.shutdown();
    }
}

impl Connection {
    /// Connects to the server at `url` with default [`ConnectOptions`].
    ///
    /// # Errors
    /// As [`ConnectOptions::connect`].
    #[doc(alias = "from_url")]
    pub async fn open(url: &str) -> Result<Connection, Error> {
        ConnectOptions::from_url(url)?.connect().await
    }

    /// Starts the reader and writer tasks on a greeted wire.
    pub(crate) fn start(wire: Wire, resp3: bool, reply_timeout: Option<Duration>) -> Connection {
        let shared = Rc::new(Shared {
            stream: Rc::clone(&wire.stream),
            outgoing: RefCell::new(Vec::new()),
            wake_writer: Event::new(),
            waiting: RefCell::new(VecDeque::new()),
            lost: RefCell::new(None),
        });
        let reader = crate::create_named_task("redis reader", read_replies(Rc::clone(&shared), wire)).handle();
        let writer = crate::create_named_task("redis writer", write_commands(Rc::clone(&shared))).handle();
        Connection { inner: Rc::new(Inner { shared, resp3, reply_timeout, reader, writer }) }
    }

    /// Whether the greeting switched the connection to RESP3.
    pub fn is_resp3(&self) -> bool {
        self.inner.resp3
    }

    /// Why the connection was lost, if it was; a lost connection fails
    /// every command.
    pub fn lost(&self) -> Option<String> {
        self.inner.shared.lost.borrow().clone()
    }

    /// Sends any command and converts its reply.
    ///
    /// ```no_run
    /// use corio::redis::{Connection, cmd};
    /// # corio::run(async {
    /// let conn = Connection::open("redis://127.0.0.1/").await?;
    /// let pong: String = conn.query(&cmd("PING")).await?;
    /// assert_eq!(pong, "PONG");
    /// # Ok::<(), corio::redis::Error>(())
    /// # }).unwrap();
    /// ```
    ///
    /// # Errors
    /// [`Error::Server`] for an error reply; [`Error::Type`] if the reply
    /// does not convert into `T`; [`Error::ConnectionLost`];
    /// [`Error::Timeout`] after the reply timeout.
    #[doc(alias = "execute_command")]
    pub async fn query<T: FromValue>(&self, command: &Cmd) -> Result<T, Error> {
        T::from_value(self.request(command, self.inner.reply_timeout).await?)
    }

    /// Sends a blocking command that may wait up to `block` on the server
    /// (zero: forever): the reply timeout is stretched by that much.
    pub(crate) async fn query_blocking<T: FromValue>(&self, command: &Cmd, block: Duration) -> Result<T, Error> {
        let limit = if block.is_zero() { None } else { self.inner.reply_timeout.map(|limit| limit + block) };
        T::from_value(self.request(command, limit).await?)
    }

    /// One command, one reply; a top-level error reply becomes `Err`.
    async fn request(&self, command: &Cmd, limit: Option<Duration>) -> Result<Value, Error> {
        let mut slots = self.send(&[command])?;
        let slot = slots.pop().expect("one slot per command");
        match self.wait_with(limit, &slot).await? {
            Value::Error(error) => Err(Error::Server(error)),
            value => Ok(value),
        }
    }

    /// Sends `commands` back to back, in one write if the writer is idle,
    /// and returns their replies in order: what a pipeline is. Error
    /// replies stay in the list as [`Value::Error`].
    pub(crate) async fn request_all(&self, commands: &[&Cmd]) -> Result<Vec<Value>, Error> {
        let slots = self.send(commands)?;
        let mut replies = Vec::with_capacity(slots.len());
        for slot in &slots {
            replies.push(self.wait_with(self.inner.reply_timeout, slot).await?);
        }
        Ok(replies)
    }

    /// Encodes `commands` into the outgoing buffer and queues a slot for
    /// each, in one synchronous step (so they stay contiguous on the wire
    /// and in line), then wakes the writer.
    fn send(&self, commands: &[&Cmd]) -> Result<Vec<Rc<Slot>>, Error> {
        let shared = &self.inner.shared;
        if let Some(why) = shared.lost.borrow().as_ref() {
            return Err(Error::ConnectionLost(why.clone()));
        }
        let mut outgoing = shared.outgoing.borrow_mut();
        let mut waiting = shared.waiting.borrow_mut();
        let mut slots = Vec::with_capacity(commands.len());
        for command in commands {
            command.encode(&mut outgoing);
            let slot = Rc::new(Slot::default());
            waiting.push_back(Rc::clone(&slot));
            slots.push(slot);
        }
        shared.wake_writer.set();
        Ok(slots)
    }

    /// Waits for a slot, within `limit` if there is one.
    async fn wait_with(&self, limit: Option<Duration>, slot: &Slot) -> Result<Value, Error> {
        match limit {
            Some(limit) => crate::timeout(limit, slot.wait()).await.map_err(|_| Error::Timeout(TimeoutKind::Reply))?,
            None => slot.wait().await,
        }
    }
}

impl std::fmt::Debug for Connection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Connection")
            .field("peer", &self.inner.shared.stream.peer_addr())
            .field("resp3", &self.inner.resp3)
            .field("lost", &self.lost())
            .finish()
    }
}

/// The writer task: hands the outgoing buffer to the socket whenever it
/// has bytes.
async fn write_commands(shared: Rc<Shared>) {
    loop {
        let bytes = std::mem::take(&mut *shared.outgoing.borrow_mut());
        if bytes.is_empty() {
            // Nothing to send: sleep until a caller's `send` sets the
            // event. Clearing first is safe because nothing runs between
            // the take above and this wait.
            shared.wake_writer.clear();
            shared.wake_writer.wait().await;
            continue;
        }
        if let Err(error) = shared.stream.write_all(&bytes).await {
            shared.lose(format!("cannot write to the server: {error}"));
            return;
        }
    }
}

/// The reader task: each reply fills the oldest slot.
async fn read_replies(shared: Rc<Shared>, mut wire: Wire) {
    loop {
        let reply = wire.read_value().await;
        if shared.lost.borrow().is_some() {
            return;
        }
        match reply {
            // RESP3 out-of-band data (client-side caching invalidations,
            // pub/sub messages) answers no command; this connection asks
            // for none, and drops any that come.
            Ok(Value::Push(_)) => {}
            Ok(value) => {
                let slot = shared.waiting.borrow_mut().pop_front();
                match slot {
                    Some(slot) => slot.fill(Ok(value)),
                    None => {
                        shared.lose(format!("the server sent a reply nobody asked for: {value}"));
                        return;
                    }
                }
            }
            Err(Error::ConnectionLost(why)) => return shared.lose(why),
            Err(error) => return shared.lose(error.to_string()),
        }
    }
}
