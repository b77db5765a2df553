//! [`Server`]: asyncio's `start_server` / `start_unix_server` result, which
//! accepts connections and runs a callback on each one's stream pair.
//!
//! Each listening socket has an *accept task* (asyncio uses a reader
//! callback on the loop instead; corio's reactor only wakes tasks). Each
//! accepted connection becomes a `StreamReader`/`StreamWriter` pair, and the
//! future the callback returns runs as its own task, as asyncio wraps the
//! callback's coroutine in a task. The server counts connections until they
//! close, so [`wait_closed`](Server::wait_closed) can wait for them, as
//! asyncio's does since 3.12.

use std::cell::{Cell, RefCell};
use std::future::{Future, poll_fn};
use std::io;
use std::path::PathBuf;
use std::rc::Rc;
use std::task::{Context, Poll};
use std::time::Duration;

use super::connection::{Connection, StreamSocket};
use super::reader::StreamReader;
use super::socket_file::SocketFile;
use super::writer::StreamWriter;
use crate::net::{TcpListener, UnixListener};
use crate::sync::Event;
use crate::task::{Task, create_named_task, create_task};

/// How long the accept loop rests after an accept error other than an
/// aborted connection (out of file descriptors, ...): asyncio's
/// `ACCEPT_RETRY_DELAY`, one second.
const ACCEPT_RETRY_DELAY: Duration = Duration::from_secs(1);

/// Where a [`Server`] listens (asyncio's `server.sockets`, by address).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ListenAddr {
    /// A TCP socket's bound address, with the port chosen for port 0.
    Tcp(std::net::SocketAddr),
    /// A Unix socket's path.
    Unix(PathBuf),
}

impl ListenAddr {
    /// The TCP address, if this is one.
    pub fn tcp(&self) -> Option<std::net::SocketAddr> {
        match self {
            ListenAddr::Tcp(addr) => Some(*addr),
            ListenAddr::Unix(_) => None,
        }
    }
}

/// A listening socket of either kind.
pub(crate) enum Listener {
    /// A TCP listener.
    Tcp(TcpListener),
    /// A Unix-domain listener and its socket file, removed when the
    /// listener closes.
    Unix {
        /// The listener.
        listener: UnixListener,
        /// Held only to be dropped with the listener.
        _file: SocketFile,
    },
}

impl Listener {
    /// Poll-style accept, handing back the connection's socket.
    fn poll_accept(&self, cx: &mut Context<'_>) -> Poll<io::Result<StreamSocket>> {
        match self {
            Listener::Tcp(listener) => listener.poll_accept(cx).map_ok(|(stream, _)| StreamSocket::Tcp(stream)),
            Listener::Unix { listener, .. } => {
                listener.poll_accept(cx).map_ok(|(stream, _)| StreamSocket::Unix(stream))
            }
        }
    }

    /// Where it listens.
    fn addr(&self) -> io::Result<ListenAddr> {
        match self {
            Listener::Tcp(listener) => listener.local_addr().map(ListenAddr::Tcp),
            Listener::Unix { listener, .. } => {
                let addr = listener.local_addr()?;
                let path = addr.as_pathname().map(PathBuf::from).unwrap_or_default();
                Ok(ListenAddr::Unix(path))
            }
        }
    }
}

/// A running stream server, from [`start_server`](crate::net::start_server)
/// or [`start_unix_server`](crate::net::start_unix_server).
///
/// As in asyncio, dropping the `Server` does not stop it (its accept tasks
/// keep running until [`close`](Server::close) or the loop ends).
///
/// ```
/// use corio::net::{StreamReader, StreamWriter};
///
/// async fn echo_line(mut reader: StreamReader, writer: StreamWriter) {
///     if let Ok(line) = reader.readline().await {
///         let _ = writer.write(&line);
///         let _ = writer.drain().await;
///     }
/// }
///
/// # corio::run(async {
/// let server = corio::net::start_server(echo_line, "127.0.0.1", 0).await?;
/// let port = server.sockets()[0].tcp().unwrap().port();
/// let (mut reader, writer) = corio::net::open_connection("127.0.0.1", port).await?;
/// writer.write(b"ping\n")?;
/// assert_eq!(reader.readline().await?, b"ping\n");
/// server.close();
/// drop(writer);
/// server.wait_closed().await;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// # }).unwrap();
/// ```
pub struct Server {
    /// Shared with the accept tasks and the connections' close hooks.
    state: Rc<ServerState>,
}

/// What the server's parts share.
struct ServerState {
    /// The listening sockets; emptied (so closed) by `close`.
    listeners: RefCell<Vec<Listener>>,
    /// Their addresses, kept for `sockets` after they close.
    addrs: Vec<ListenAddr>,
    /// One accept task per listener.
    accept_tasks: RefCell<Vec<Task<()>>>,
    /// Connections accepted and not yet closed.
    active: Cell<usize>,
    /// Set by `close`: `serve_forever` returns.
    stopped: Event,
    /// Set once closed with no active connection: `wait_closed` returns.
    finished: Event,
}

impl Server {
    /// Starts serving: one accept task per listener, each calling
    /// `client_connected_cb` for every connection.
    pub(crate) fn start<F, Fut>(listeners: Vec<Listener>, client_connected_cb: F) -> io::Result<Server>
    where
        F: FnMut(StreamReader, StreamWriter) -> Fut + 'static,
        Fut: Future<Output = ()> + 'static,
    {
        let addrs = listeners.iter().map(Listener::addr).collect::<io::Result<_>>()?;
        let state = Rc::new(ServerState {
            listeners: RefCell::new(listeners),
            addrs,
            accept_tasks: RefCell::new(Vec::new()),
            active: Cell::new(0),
            stopped: Event::new(),
            finished: Event::new(),
        });
        let callback = Rc::new(RefCell::new(client_connected_cb));
        let tasks = (0..state.addrs.len())
            .map(|index| create_named_task("Server accept", accept_loop(state.clone(), index, callback.clone())))
            .collect();
        *state.accept_tasks.borrow_mut() = tasks;
        Ok(Server { state })
    }

    /// Where the server listens (asyncio's `server.sockets`).
    pub fn sockets(&self) -> &[ListenAddr] {
        &self.state.addrs
    }

    /// True until [`close`](Server::close) (asyncio's `is_serving`; corio's
    /// servers always start serving at once).
    pub fn is_serving(&self) -> bool {
        !self.state.stopped.is_set()
    }

    /// Stops listening (asyncio's `close`): the listening sockets are closed
    /// (a Unix server's socket file removed) and the accept tasks cancelled.
    /// Connections already accepted go on.
    pub fn close(&self) {
        self.state.close();
    }

    /// Waits until the server is closed and every connection it accepted
    /// has closed (asyncio's `wait_closed`, 3.12 and later).
    pub async fn wait_closed(&self) {
        self.state.finished.wait().await;
    }

    /// Serves until [`close`](Server::close) is called (asyncio's
    /// `serve_forever`). If the future is dropped first (its task is
    /// cancelled), the server is closed, as in asyncio. Where asyncio's
    /// `serve_forever` raises `CancelledError` when another task closes the
    /// server, this one returns.
    pub async fn serve_forever(&self) {
        /// Closes the server if `serve_forever` is abandoned.
        struct CloseOnDrop<'a>(&'a ServerState);
        impl Drop for CloseOnDrop<'_> {
            fn drop(&mut self) {
                self.0.close();
            }
        }
        let _guard = CloseOnDrop(&self.state);
        self.state.stopped.wait().await;
    }
}

impl ServerState {
    /// Closes the listeners and stops accepting.
    fn close(&self) {
        if self.stopped.is_set() {
            return;
        }
        self.stopped.set();
        // Dropping a listener deregisters and closes its socket now; the
        // accept tasks, which only index into the list, are cancelled too.
        let listeners = std::mem::take(&mut *self.listeners.borrow_mut());
        drop(listeners);
        for task in self.accept_tasks.borrow_mut().drain(..) {
            task.cancel();
        }
        self.maybe_finish();
    }

    /// A connection closed.
    fn detach(&self) {
        self.active.set(self.active.get() - 1);
        self.maybe_finish();
    }

    /// Sets `finished` if closed with no connection left.
    fn maybe_finish(&self) {
        if self.stopped.is_set() && self.active.get() == 0 {
            self.finished.set();
        }
    }

    /// Poll-style accept on listener `index`; `None` once the server closed.
    fn poll_accept(&self, index: usize, cx: &mut Context<'_>) -> Poll<Option<io::Result<StreamSocket>>> {
        match self.listeners.borrow().get(index) {
            // With no connection waiting, the reactor wakes this task when
            // one arrives.
            Some(listener) => listener.poll_accept(cx).map(Some),
            None => Poll::Ready(None),
        }
    }
}

/// An accept task: accepts connections on listener `index` and starts a
/// task running the callback's future for each.
async fn accept_loop<F, Fut>(state: Rc<ServerState>, index: usize, callback: Rc<RefCell<F>>)
where
    F: FnMut(StreamReader, StreamWriter) -> Fut + 'static,
    Fut: Future<Output = ()> + 'static,
{
    while let Some(accepted) = poll_fn(|cx| state.poll_accept(index, cx)).await {
        let socket = match accepted {
            Ok(socket) => socket,
            // The peer gave up before we accepted: nothing to do.
            Err(error) if error.kind() == io::ErrorKind::ConnectionAborted => continue,
            // Out of descriptors or memory: asyncio stops accepting for a
            // second rather than spin on the same error.
            Err(_) => {
                crate::time::sleep(ACCEPT_RETRY_DELAY).await;
                continue;
            }
        };
        state.active.set(state.active.get() + 1);
        let on_close = {
            let state = state.clone();
            Box::new(move || state.detach()) as Box<dyn FnOnce()>
        };
        let connection = Rc::new(Connection::new(socket, Some(on_close)));
        let reader = StreamReader::new(connection.clone());
        let writer = StreamWriter::new(connection);
        let client = (callback.borrow_mut())(reader, writer);
        // Detached: the connection's task runs on its own, as in asyncio.
        drop(create_task(client));
    }
}

impl std::fmt::Debug for Server {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Server")
            .field("sockets", &self.state.addrs)
            .field("serving", &self.is_serving())
            .field("active", &self.state.active.get())
            .finish()
    }
}
