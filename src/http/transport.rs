//! [`Transport`]: the byte pipe under one HTTP connection, plain TCP or TLS
//! over TCP, with the same poll-style read and write either way.
//!
//! rustls is sans-IO: it turns ciphertext into plaintext and back, and we
//! move the ciphertext. Every read first asks rustls for plaintext it already
//! decrypted; only when it has none do we read TLS records from the socket,
//! and only when the socket has none do we return `Pending`, with the
//! reactor holding our waker for the socket's next readable edge.
//!
//! rustls reads the socket 4 KiB at a time if we let it, which makes a
//! 120 KB page thirty `recv` calls. So we read the records ourselves, into
//! a [`ReadBuffer`] whose reads grow while they fill it (as the plaintext
//! buffer's do), and rustls takes them from there. And a read hands over
//! all the plaintext the records already received decrypt to, as far as
//! the caller's buffer takes it, not just the first record's: that is what
//! tells the caller's buffer it is worth growing.
//!
//! Only a flush whose caller then waits for the socket to drain parks the
//! task for writing. The reactor keeps one writer's waker per socket, and
//! the task reading may not be the one writing (a Redis connection's
//! reader and writer tasks share one transport): the flushes a read or a
//! write does on the side go through [`WriteNow`], which never parks, so
//! they cannot take the waiting writer's place.

use std::future::poll_fn;
use std::io::{self, Read, Write};
use std::sync::Arc;
use std::task::{Context, Poll, ready};

use rustls::{ClientConfig, ClientConnection};

use crate::http::error::Error;
use crate::http::read_buffer::ReadBuffer;
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
    /// Records read from the socket that rustls has not taken yet.
    records: ReadBuffer,
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
        let mut stream = TlsStream { tcp, session, records: ReadBuffer::new(), closed_without_notify: false };
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
                // write or flush, which waits for it.
                tls.flush_now()?;
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
                let _ = self.session.write_tls(&mut WriteNow(&self.tcp));
                return Poll::Ready(Err(HandshakeError::Tls(error)));
            }
        }
        // The handshake's last flight (our Finished in TLS 1.3) may still
        // be buffered.
        ready!(self.poll_flush(cx)).map_err(HandshakeError::Io)?;
        Poll::Ready(Ok(()))
    }

    /// Reads plaintext: first what rustls already holds, else new records.
    /// Once some plaintext is in `buf`, it goes on decrypting only the
    /// records already received, and never reads the socket: a read error
    /// or the end of the stream then shows in the next call instead, so no
    /// bytes are lost with it.
    fn poll_read(&mut self, cx: &mut Context<'_>, buf: &mut [u8]) -> Poll<io::Result<usize>> {
        let mut filled = 0;
        loop {
            match self.session.reader().read(&mut buf[filled..]) {
                // Plaintext, or Ok(0) after the peer's close_notify: a
                // clean end. We return once the buffer is full or no
                // received records are left to decrypt.
                Ok(n) => {
                    filled += n;
                    if n == 0 || filled == buf.len() || self.records.is_empty() {
                        return Poll::Ready(Ok(filled));
                    }
                }
                // rustls needs more records before it has plaintext.
                Err(error) if error.kind() == io::ErrorKind::WouldBlock => {
                    if filled > 0 && self.records.is_empty() {
                        return Poll::Ready(Ok(filled));
                    }
                }
                // What we have first; the end or the error comes again.
                Err(_) if filled > 0 => return Poll::Ready(Ok(filled)),
                // TCP ended without close_notify. We report the end of the
                // stream and remember how it ended; only a close-delimited
                // body treats that as an error (a truncation attack).
                Err(error) if error.kind() == io::ErrorKind::UnexpectedEof => {
                    self.closed_without_notify = true;
                    return Poll::Ready(Ok(0));
                }
                Err(error) => return Poll::Ready(Err(error)),
            }
            // Alerts, key updates or a writer's records rustls holds go
            // out first, as far as the socket takes them now. Neither a
            // socket full of request body nor one the server reset after
            // answering may stop us reading that answer: a failed write
            // shows in the next write. This flush never parks: another
            // task may be waiting for the socket to drain (a Redis
            // connection's writer), and the reactor keeps one writer's
            // waker per socket; ours would replace its.
            let _ = self.flush_now();
            // Here either nothing is filled or received records are left,
            // so this reads the socket only while `buf` is empty. Pending:
            // the reactor wakes us at the socket's next readable edge.
            ready!(self.poll_read_records(cx))?;
            if let Err(error) = self.session.process_new_packets() {
                // rustls keeps the error and gives it again next time.
                if filled > 0 {
                    return Poll::Ready(Ok(filled));
                }
                return Poll::Ready(Err(io::Error::new(io::ErrorKind::InvalidData, error)));
            }
        }
    }

    /// [`Transport::is_open_and_quiet`] for TLS. Records that came while
    /// idle go through rustls first: a session ticket is harmless, a
    /// `close_notify` or application data are not. A peer that keeps
    /// sending records is not quiet either.
    fn is_open_and_quiet(&mut self) -> bool {
        const MAX_IDLE_RECORD_READS: usize = 8;
        for _ in 0..MAX_IDLE_RECORD_READS {
            if self.records.is_empty() {
                match self.records.poll_fill(|space| Poll::Ready(self.tcp.read_now(space))) {
                    Poll::Ready(Ok(0)) => return false,
                    Poll::Ready(Ok(_)) => {}
                    Poll::Ready(Err(error)) if error.kind() == io::ErrorKind::WouldBlock => {
                        return would_block(self.session.reader().read(&mut [0u8; 1]));
                    }
                    Poll::Ready(Err(_)) | Poll::Pending => return false,
                }
            }
            if self.session.read_tls(&mut self.records).is_err() || self.session.process_new_packets().is_err() {
                return false;
            }
        }
        false
    }

    /// Gives rustls more records: those read from the socket before, or
    /// else those of a new read; `Ok(0)` at the end of TCP's stream.
    fn poll_read_records(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<usize>> {
        if self.records.is_empty() {
            // Pending: the reactor wakes us at the socket's next readable edge.
            let read = ready!(self.records.poll_fill(|space| self.tcp.poll_read(cx, space)))?;
            if read == 0 {
                // rustls learns of the end from a read of nothing, and then
                // tells a close_notify end from a cut one.
                return Poll::Ready(self.session.read_tls(&mut io::empty()));
            }
        }
        Poll::Ready(self.session.read_tls(&mut self.records))
    }

    /// Writes out as many queued records as the socket takes now, without
    /// parking; the rest stay queued in rustls for the next write or flush.
    fn flush_now(&mut self) -> io::Result<()> {
        while self.session.wants_write() {
            match self.session.write_tls(&mut WriteNow(&self.tcp)) {
                Err(error) if error.kind() == io::ErrorKind::WouldBlock => break,
                Err(error) => return Err(error),
                Ok(_) => {}
            }
        }
        Ok(())
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

/// The socket as a `Write` that writes now, outside the budget, and never
/// parks the task: `WouldBlock` when it is full. For flushes nobody waits
/// on ([`TlsStream::flush_now`]).
struct WriteNow<'a>(&'a TcpStream);

impl Write for WriteNow<'_> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.0.write_now(buf)
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// Presents our poll-style socket as the blocking `Write` rustls
/// expects: `Pending` becomes `WouldBlock`, and because the poll already
/// registered the waker, the caller can return `Pending` without losing it.
struct SocketIo<'a, 'b> {
    tcp: &'a TcpStream,
    /// The task context whose waker a `Pending` registers.
    cx: &'a mut Context<'b>,
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

#[cfg(test)]
mod tests {
    use std::cell::{Cell, RefCell};
    use std::io::{Read, Write};
    use std::rc::Rc;
    use std::sync::{Arc, mpsc};
    use std::thread;
    use std::time::Duration;

    use rcgen::{BasicConstraints, CertificateParams, IsCa, Issuer, KeyPair};
    use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
    use rustls::{ServerConfig, ServerConnection, StreamOwned};

    use super::*;

    /// TLS records queued for the socket: far more than its buffers hold.
    const QUEUED: usize = 16 << 20;

    /// The size both ends' socket buffers are fixed at (which stops the
    /// kernel growing them), so that a socket the server does not read
    /// stays full.
    const SOCKET_BUFFER: usize = 64 << 10;

    /// A server configuration with a certificate for 127.0.0.1, and the
    /// CA certificate that signed it (for the client's roots).
    fn server_config() -> (ServerConfig, CertificateDer<'static>) {
        let ca_key = KeyPair::generate().unwrap();
        let mut ca_params = CertificateParams::new(Vec::new()).unwrap();
        ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        let ca = ca_params.self_signed(&ca_key).unwrap();
        let issuer = Issuer::new(ca_params, ca_key);
        let key = KeyPair::generate().unwrap();
        let leaf = CertificateParams::new(vec!["127.0.0.1".to_owned()]).unwrap().signed_by(&key, &issuer).unwrap();
        let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key.serialize_der()));
        let config = ServerConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
            .with_safe_default_protocol_versions()
            .unwrap()
            .with_no_client_auth()
            .with_single_cert(vec![leaf.der().clone()], key)
            .unwrap();
        (config, ca.der().clone())
    }

    /// Two tasks share one TLS transport, as a Redis connection's reader
    /// and writer do. The writer waits for a socket the server does not
    /// read to drain; then the reader reads a record that arrived, which
    /// makes it try to push out the records still queued. That try must
    /// not take the writer's place in the reactor, or the writer never
    /// hears the socket drain.
    #[test]
    fn a_read_never_takes_the_writers_wait_for_a_full_socket() {
        let (config, root) = server_config();
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        rustix::net::sockopt::set_socket_recv_buffer_size(&listener, SOCKET_BUFFER).unwrap();
        let addr = listener.local_addr().unwrap();
        let (tell, told) = mpsc::channel::<()>();
        let server = thread::spawn(move || {
            let (tcp, _) = listener.accept().unwrap();
            let mut tls = StreamOwned::new(ServerConnection::new(Arc::new(config)).unwrap(), tcp);
            while tls.conn.is_handshaking() {
                tls.conn.complete_io(&mut tls.sock).unwrap();
            }
            // Reading nothing until told, then one record for the reader.
            told.recv().unwrap();
            tls.write_all(b"ping").and_then(|()| tls.flush()).unwrap();
            // Until told again; then everything.
            told.recv().unwrap();
            let (mut total, mut buf) = (0, vec![0u8; 64 << 10]);
            while total < QUEUED {
                match tls.read(&mut buf) {
                    Ok(0) | Err(_) => break,
                    Ok(n) => total += n,
                }
            }
            total
        });
        crate::run(async move {
            let tcp = std::net::TcpStream::connect(addr).unwrap();
            rustix::net::sockopt::set_socket_send_buffer_size(&tcp, SOCKET_BUFFER).unwrap();
            tcp.set_nonblocking(true).unwrap();
            let tcp = TcpStream::from_mio(mio::net::TcpStream::from_std(tcp)).unwrap();
            let config = tls::client_config(&[root]).unwrap();
            let mut transport = Transport::handshake(tcp, "127.0.0.1", config).await.unwrap();
            let Transport::Tls(stream) = &mut transport else { unreachable!("a TLS transport") };
            stream.session.set_buffer_limit(None);
            stream.session.writer().write_all(&vec![b'x'; QUEUED]).unwrap();
            let transport = Rc::new(RefCell::new(transport));

            let writer_polls = Rc::new(Cell::new(0));
            let writer = crate::create_task({
                let (transport, polls) = (Rc::clone(&transport), Rc::clone(&writer_polls));
                async move {
                    poll_fn(|cx| {
                        polls.set(polls.get() + 1);
                        transport.borrow_mut().poll_flush(cx)
                    })
                    .await
                }
            });
            // The writer waits for the full socket once it stops being polled.
            loop {
                let polls = writer_polls.get();
                crate::sleep(Duration::from_millis(100)).await;
                if polls > 0 && writer_polls.get() == polls {
                    break;
                }
            }

            tell.send(()).unwrap();
            let reader = crate::create_task({
                let transport = Rc::clone(&transport);
                async move {
                    let mut buf = [0u8; 16];
                    let n = poll_fn(|cx| transport.borrow_mut().poll_read(cx, &mut buf)).await.unwrap();
                    buf[..n].to_vec()
                }
            });
            assert_eq!(reader.await.unwrap(), b"ping");

            tell.send(()).unwrap();
            let flushed = crate::timeout(Duration::from_secs(20), writer).await;
            let flushed = flushed.expect("the writer never heard the socket drain");
            flushed.unwrap().unwrap();
        });
        assert_eq!(server.join().unwrap(), QUEUED);
    }

    /// A server's socket that counts the bytes written to it.
    struct CountingSocket {
        tcp: std::net::TcpStream,
        written: usize,
    }

    impl Read for CountingSocket {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            self.tcp.read(buf)
        }
    }

    impl Write for CountingSocket {
        fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
            let n = self.tcp.write(buf)?;
            self.written += n;
            Ok(n)
        }

        fn flush(&mut self) -> io::Result<()> {
            self.tcp.flush()
        }
    }

    /// rustls would hand over one record's plaintext per read, and read the
    /// socket 4 KiB at a time. Once the read size has grown on a first
    /// page, a second page that has arrived whole comes out of one read.
    #[test]
    fn a_read_hands_over_all_the_plaintext_already_received() {
        const PAGE: usize = 120_000;
        let (config, root) = server_config();
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let (send_page, page_wanted) = mpsc::channel::<()>();
        let (page_sent, sent) = mpsc::channel::<usize>();
        let server = thread::spawn(move || {
            let (tcp, _) = listener.accept().unwrap();
            let socket = CountingSocket { tcp, written: 0 };
            let mut tls = StreamOwned::new(ServerConnection::new(Arc::new(config)).unwrap(), socket);
            while tls.conn.is_handshaking() || tls.conn.wants_write() {
                tls.conn.complete_io(&mut tls.sock).unwrap();
            }
            let page: Vec<u8> = (0..PAGE).map(|i| (i % 251) as u8).collect();
            for () in page_wanted {
                let before = tls.sock.written;
                tls.write_all(&page).and_then(|()| tls.flush()).unwrap();
                page_sent.send(tls.sock.written - before).unwrap();
            }
        });
        crate::run(async move {
            let tcp = std::net::TcpStream::connect(addr).unwrap();
            let probe = tcp.try_clone().unwrap();
            tcp.set_nonblocking(true).unwrap();
            let tcp = TcpStream::from_mio(mio::net::TcpStream::from_std(tcp)).unwrap();
            let config = tls::client_config(&[root]).unwrap();
            let mut transport = Transport::handshake(tcp, "127.0.0.1", config).await.unwrap();
            let mut buf = vec![0u8; 1 << 20];
            let mut reads = Vec::new();
            for _ in 0..2 {
                send_page.send(()).unwrap();
                // Until the whole page's records wait in our socket.
                let records = sent.recv().unwrap() as u64;
                while rustix::io::ioctl_fionread(&probe).unwrap() < records {
                    thread::sleep(Duration::from_millis(1));
                }
                let (mut received, mut page_reads) = (0, 0);
                while received < PAGE {
                    let n = poll_fn(|cx| transport.poll_read(cx, &mut buf[received..])).await.unwrap();
                    assert!(
                        buf[received..received + n].iter().enumerate().all(|(i, &b)| b == ((received + i) % 251) as u8)
                    );
                    received += n;
                    page_reads += 1;
                }
                reads.push(page_reads);
            }
            assert_eq!(reads[1], 1, "reads per page: {reads:?}");
        });
        server.join().unwrap();
    }
}
