//! [`Transport`]: the byte pipe under one HTTP connection, plain TCP or TLS
//! over TCP, with the same poll-style read and write either way.
//!
//! rustls is sans-IO: it turns ciphertext into plaintext and back, and we
//! move the ciphertext. Every read first asks rustls for plaintext it already
//! decrypted; only when it has none do we read TLS records from the socket,
//! and only when the socket has none do we return `Pending`, with the
//! reactor holding our waker for the socket's next readable edge.

use std::future::poll_fn;
use std::io::{self, Read, Write};
use std::sync::Arc;
use std::task::{Context, Poll, ready};

use rustls::{ClientConfig, ClientConnection};

use crate::http::error::Error;
use crate::http::tls;
use crate::net::TcpStream;

/// A connected byte stream: plain, or TLS on top of TCP.
pub(crate) enum Transport {
    /// `http://`, or the hop to an HTTP proxy.
    Plain(TcpStream),
    /// `https://`; boxed because rustls's state is large.
    Tls(Box<TlsStream>),
}

/// A rustls client session and the socket under it.
pub(crate) struct TlsStream {
    /// The socket carrying TLS records.
    tcp: TcpStream,
    /// rustls's state machine: buffers of ciphertext and plaintext.
    session: ClientConnection,
    /// Set when the peer closed TCP without sending `close_notify`, after
    /// which a close-delimited body may have been cut short by an attacker.
    closed_without_notify: bool,
}

impl Transport {
    /// Wraps `tcp` in TLS for `host` and completes the handshake.
    ///
    /// # Errors
    /// [`Error::Tls`] with the certificate problem, or the socket's error.
    pub(crate) async fn handshake(tcp: TcpStream, host: &str, config: Arc<ClientConfig>) -> Result<Transport, Error> {
        let session = ClientConnection::new(config, tls::server_name(host)?)
            .map_err(|error| tls::handshake_error(host, error))?;
        let mut stream = TlsStream { tcp, session, closed_without_notify: false };
        poll_fn(|cx| stream.poll_handshake(cx)).await.map_err(|error| match error {
            HandshakeError::Tls(error) => tls::handshake_error(host, error),
            HandshakeError::Io(error) => Error::Io(error),
        })?;
        Ok(Transport::Tls(Box::new(stream)))
    }

    /// Reads plaintext into `buf`; `Ok(0)` is the end of the stream.
    pub(crate) fn poll_read(&mut self, cx: &mut Context<'_>, buf: &mut [u8]) -> Poll<io::Result<usize>> {
        match self {
            Transport::Plain(tcp) => tcp.poll_read(cx, buf),
            Transport::Tls(tls) => tls.poll_read(cx, buf),
        }
    }

    /// Writes all of `buf` (as plaintext, encrypted first for TLS).
    pub(crate) async fn write_all(&mut self, buf: &[u8]) -> io::Result<()> {
        match self {
            Transport::Plain(tcp) => tcp.write_all(buf).await,
            Transport::Tls(tls) => {
                // rustls takes plaintext up to its buffer limit (64 KiB)
                // and turns it into records; we push those out and offer
                // the rest, until rustls has taken everything.
                let mut rest = buf;
                while !rest.is_empty() {
                    let taken = tls.session.writer().write(rest)?;
                    rest = &rest[taken..];
                    poll_fn(|cx| tls.poll_flush(cx)).await?;
                }
                Ok(())
            }
        }
    }

    /// Writes some of `buf`, poll-style, for a writer that must not hold
    /// the transport across an await (the Redis connection shares one
    /// between its reader and writer tasks). TLS takes the plaintext into
    /// rustls once the records queued before are out, then starts the new
    /// records on their way; [`Transport::poll_flush`] finishes that.
    pub(crate) fn poll_write(&mut self, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        match self {
            Transport::Plain(tcp) => tcp.poll_write(cx, buf),
            Transport::Tls(tls) => {
                ready!(tls.poll_flush(cx))?;
                let taken = tls.session.writer().write(buf)?;
                // Records the socket cannot take now go with the next
                // write or flush; a waker registered here only costs a
                // spurious wake.
                if let Poll::Ready(Err(error)) = tls.poll_flush(cx) {
                    return Poll::Ready(Err(error));
                }
                Poll::Ready(Ok(taken))
            }
        }
    }

    /// Pushes out the TLS records still queued (nothing to do for plain TCP).
    pub(crate) fn poll_flush(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self {
            Transport::Plain(_) => Poll::Ready(Ok(())),
            Transport::Tls(tls) => tls.poll_flush(cx),
        }
    }

    /// The TCP socket under the transport.
    pub(crate) fn tcp(&self) -> &TcpStream {
        match self {
            Transport::Plain(tcp) => tcp,
            Transport::Tls(tls) => &tls.tcp,
        }
    }

    /// Whether an idle transport is still open with nothing to read, looked
    /// at now: a `poll_read` skips the look once the task's I/O budget is
    /// spent, which would pass for "nothing there". Bytes and the end of the
    /// stream both mean no: an idle connection is owed nothing.
    pub(crate) fn is_open_and_quiet(&mut self) -> bool {
        match self {
            Transport::Plain(tcp) => would_block(tcp.read_now(&mut [0u8; 1])),
            Transport::Tls(tls) => tls.is_open_and_quiet(),
        }
    }

    /// True when the last end-of-stream came without TLS's `close_notify`
    /// (never for plain TCP, where a FIN is all there is).
    pub(crate) fn closed_without_notify(&self) -> bool {
        match self {
            Transport::Plain(_) => false,
            Transport::Tls(tls) => tls.closed_without_notify,
        }
    }
}

/// A handshake failure: rustls's verdict or the socket's.
enum HandshakeError {
    /// rustls refused (certificate, alert, protocol).
    Tls(rustls::Error),
    /// The socket failed or closed mid-handshake.
    Io(io::Error),
}

impl TlsStream {
    /// Moves records both ways until the handshake is done.
    fn poll_handshake(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), HandshakeError>> {
        while self.session.is_handshaking() {
            // Our flight first (ClientHello, Finished): the server waits for it.
            ready!(self.poll_flush(cx)).map_err(HandshakeError::Io)?;
            if !self.session.is_handshaking() {
                break;
            }
            // Pending here means the reactor holds our waker for the
            // socket's next readable edge.
            let read = ready!(self.poll_read_records(cx)).map_err(HandshakeError::Io)?;
            if read == 0 {
                let eof = io::Error::new(
                    io::ErrorKind::UnexpectedEof,
                    "the server closed the connection during the TLS handshake",
                );
                return Poll::Ready(Err(HandshakeError::Io(eof)));
            }
            if let Err(error) = self.session.process_new_packets() {
                // Tell the server why (rustls queued an alert), best effort.
                let _ = self.session.write_tls(&mut SocketIo { tcp: &self.tcp, cx });
                return Poll::Ready(Err(HandshakeError::Tls(error)));
            }
        }
        // The handshake's last flight (our Finished in TLS 1.3) may still
        // be buffered.
        ready!(self.poll_flush(cx)).map_err(HandshakeError::Io)?;
        Poll::Ready(Ok(()))
    }

    /// Reads plaintext: first what rustls already holds, else new records.
    fn poll_read(&mut self, cx: &mut Context<'_>, buf: &mut [u8]) -> Poll<io::Result<usize>> {
        loop {
            match self.session.reader().read(buf) {
                // Plaintext, or Ok(0) after the peer's close_notify: a clean end.
                Ok(n) => return Poll::Ready(Ok(n)),
                // rustls needs more records before it has plaintext.
                Err(error) if error.kind() == io::ErrorKind::WouldBlock => {}
                // TCP ended without close_notify. We report the end of the
                // stream and remember how it ended; only a close-delimited
                // body treats that as an error (a truncation attack).
                Err(error) if error.kind() == io::ErrorKind::UnexpectedEof => {
                    self.closed_without_notify = true;
                    return Poll::Ready(Ok(0));
                }
                Err(error) => return Poll::Ready(Err(error)),
            }
            // Alerts or key updates rustls wants to send go out first, as
            // far as the socket takes them now. Neither a socket full of
            // request body nor one the server reset after answering may stop
            // us reading that answer: a failed write shows in the next write.
            let _ = self.poll_flush(cx);
            // Pending: the reactor wakes us at the socket's next readable edge.
            ready!(self.poll_read_records(cx))?;
            self.session.process_new_packets().map_err(|error| io::Error::new(io::ErrorKind::InvalidData, error))?;
        }
    }

    /// [`Transport::is_open_and_quiet`] for TLS. Records that came while
    /// idle go through rustls first: a session ticket is harmless, a
    /// `close_notify` or application data are not. A peer that keeps
    /// sending records is not quiet either.
    fn is_open_and_quiet(&mut self) -> bool {
        const MAX_IDLE_RECORD_READS: usize = 8;
        for _ in 0..MAX_IDLE_RECORD_READS {
            match self.session.read_tls(&mut ReadNow(&self.tcp)) {
                Ok(0) => return false,
                Ok(_) if self.session.process_new_packets().is_err() => return false,
                Ok(_) => {}
                Err(error) if error.kind() == io::ErrorKind::WouldBlock => {
                    return would_block(self.session.reader().read(&mut [0u8; 1]));
                }
                Err(_) => return false,
            }
        }
        false
    }

    /// Reads TLS records from the socket into rustls; `Ok(0)` on TCP EOF.
    fn poll_read_records(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<usize>> {
        match self.session.read_tls(&mut SocketIo { tcp: &self.tcp, cx }) {
            Err(error) if error.kind() == io::ErrorKind::WouldBlock => Poll::Pending,
            result => Poll::Ready(result),
        }
    }

    /// Writes out every record rustls has queued.
    fn poll_flush(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        while self.session.wants_write() {
            match self.session.write_tls(&mut SocketIo { tcp: &self.tcp, cx }) {
                // Pending: the reactor wakes us when the socket drains.
                Err(error) if error.kind() == io::ErrorKind::WouldBlock => return Poll::Pending,
                Err(error) => return Poll::Ready(Err(error)),
                Ok(_) => {}
            }
        }
        Poll::Ready(Ok(()))
    }
}

/// True for a read that found nothing to read.
fn would_block(read: io::Result<usize>) -> bool {
    matches!(read, Err(error) if error.kind() == io::ErrorKind::WouldBlock)
}

/// The socket as a `Read` that looks now, outside the budget, for
/// [`TlsStream::is_open_and_quiet`].
struct ReadNow<'a>(&'a TcpStream);

impl Read for ReadNow<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.0.read_now(buf)
    }
}

/// Presents our poll-style socket as the blocking `Read`/`Write` rustls
/// expects: `Pending` becomes `WouldBlock`, and because the poll already
/// registered the waker, the caller can return `Pending` without losing it.
struct SocketIo<'a, 'b> {
    tcp: &'a TcpStream,
    /// The task context whose waker a `Pending` registers.
    cx: &'a mut Context<'b>,
}

impl Read for SocketIo<'_, '_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match self.tcp.poll_read(self.cx, buf) {
            Poll::Ready(result) => result,
            Poll::Pending => Err(io::ErrorKind::WouldBlock.into()),
        }
    }
}

impl Write for SocketIo<'_, '_> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match self.tcp.poll_write(self.cx, buf) {
            Poll::Ready(result) => result,
            Poll::Pending => Err(io::ErrorKind::WouldBlock.into()),
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}
