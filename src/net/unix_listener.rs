//! [`UnixListener`]: accepts Unix-domain stream connections on the running
//! loop.

use std::future::poll_fn;
use std::io;
use std::os::unix::net::SocketAddr;
use std::path::Path;
use std::task::{Context, Poll};

use crate::net::io_source::IoSource;
use crate::net::unix_stream::UnixStream;
use crate::runtime::reactor::Direction;

/// A listening Unix-domain stream socket.
///
/// Binding creates the socket file; as with asyncio's `start_unix_server`,
/// nothing removes it when the listener closes, and binding fails with
/// `AddrInUse` while the file exists.
///
/// ```
/// # corio::run(async {
/// let dir = std::env::temp_dir().join(format!("corio-doc-{}", std::process::id()));
/// std::fs::create_dir_all(&dir)?;
/// let path = dir.join("listener.sock");
/// # let _ = std::fs::remove_file(&path);
/// let listener = corio::net::UnixListener::bind(&path)?;
/// let client = corio::create_task(corio::net::UnixStream::connect(path.clone()));
/// let (server_side, _peer) = listener.accept().await?;
/// client.await.unwrap()?;
/// std::fs::remove_dir_all(&dir)?;
/// # Ok::<(), std::io::Error>(())
/// # }).unwrap();
/// ```
pub struct UnixListener {
    /// The registered mio socket.
    source: IoSource<mio::net::UnixListener>,
}

impl UnixListener {
    /// Binds to `path` and registers with the running loop.
    ///
    /// # Errors
    /// The bind error (`AddrInUse` if the file exists, `NotFound` for a
    /// missing directory, a path too long for `sun_path`, ...), or "no
    /// running event loop".
    pub fn bind(path: impl AsRef<Path>) -> io::Result<UnixListener> {
        Ok(UnixListener { source: IoSource::new(mio::net::UnixListener::bind(path)?)? })
    }

    /// Waits for the next connection.
    ///
    /// # Errors
    /// The accept error; the listener stays usable.
    pub async fn accept(&self) -> io::Result<(UnixStream, SocketAddr)> {
        poll_fn(|cx| self.poll_accept(cx)).await
    }

    /// Poll-style accept.
    ///
    /// # Errors
    /// As [`UnixListener::accept`].
    pub fn poll_accept(&self, cx: &mut Context<'_>) -> Poll<io::Result<(UnixStream, SocketAddr)>> {
        match self.source.poll_io(Direction::Read, cx, |listener| listener.accept()) {
            Poll::Ready(Ok((stream, peer))) => Poll::Ready(UnixStream::from_mio(stream).map(|stream| (stream, peer))),
            Poll::Ready(Err(error)) => Poll::Ready(Err(error)),
            // The reactor wakes us when a connection arrives (readable).
            Poll::Pending => Poll::Pending,
        }
    }

    /// The bound address (its path).
    ///
    /// # Errors
    /// The socket's error.
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.source.get_ref().local_addr()
    }
}

impl std::fmt::Debug for UnixListener {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("UnixListener").field("local", &self.local_addr().ok()).finish()
    }
}
