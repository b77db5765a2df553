//! [`BodyStream`]: a request body that is produced while it is sent, from
//! a file or from any async source, instead of being held in memory whole.
//!
//! In the path of a request this is read by `exchange.rs` right after the
//! head is written: each chunk the stream gives is written as it comes,
//! with `Content-Length` framing when the stream said its length and
//! `Transfer-Encoding: chunked` when it did not. A stream can be sent only
//! once, so a request with one is not retried on a stale connection, and a
//! redirect that would repeat the body (307, 308) is returned rather than
//! followed.

use std::cell::RefCell;
use std::fmt;
use std::fs::File;
use std::future::Future;
use std::io::{self, Read};
use std::pin::Pin;
use std::rc::Rc;

/// Bytes read from a file per chunk.
const FILE_CHUNK: usize = 64 * 1024;

/// The boxed future of one chunk.
type NextChunk = Pin<Box<dyn Future<Output = Option<io::Result<Vec<u8>>>>>>;

/// A request body produced chunk by chunk while the request is sent
/// (reqwest's `Body::wrap_stream`, aiohttp's async-generator `data=`).
///
/// Made from a function that returns the next chunk's future: `Some(Ok)`
/// for a chunk, `None` at the end, `Some(Err)` to abandon the request
/// (it fails with [`Error::RequestBody`](crate::http::Error::RequestBody)).
/// Without a length it is sent chunked.
///
/// ```
/// # use std::io::{Read, Write};
/// # let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
/// # let url = format!("http://{}/log", listener.local_addr().unwrap());
/// # let (seen, received) = std::sync::mpsc::channel();
/// # std::thread::spawn(move || {
/// #     let (mut socket, _) = listener.accept().unwrap();
/// #     let mut request = Vec::new();
/// #     let mut buffer = vec![0; 4096];
/// #     while !request.ends_with(b"0\r\n\r\n") {
/// #         let n = socket.read(&mut buffer).unwrap_or(0);
/// #         if n == 0 { break; }
/// #         request.extend_from_slice(&buffer[..n]);
/// #     }
/// #     let _ = seen.send(String::from_utf8_lossy(&request).into_owned());
/// #     let _ = socket.write_all(b"HTTP/1.1 204 No Content\r\n\r\n");
/// # });
/// use std::rc::Rc;
/// use corio::http::BodyStream;
/// use corio::sync::Queue;
/// corio::run(async move {
///     // A task produces the lines; the request sends each as it arrives.
///     let lines: Rc<Queue<Option<String>>> = Rc::new(Queue::new(2));
///     let producer = Rc::clone(&lines);
///     corio::create_task(async move {
///         for rank in 1..=3 {
///             producer.put(Some(format!("rank {rank}\n"))).await.expect("the queue is open");
///         }
///         producer.put(None).await.expect("the queue is open");
///     });
///     let body = BodyStream::new(move || {
///         let lines = Rc::clone(&lines);
///         async move { lines.get().await.ok().flatten().map(|line| Ok(line.into_bytes())) }
///     });
///     corio::http::Session::new().post(&url).body_stream(body).await.map(drop)
/// })
/// .unwrap();
/// let request = received.recv().unwrap();
/// assert!(request.contains("\r\nTransfer-Encoding: chunked\r\n"));
/// assert!(request.ends_with("\r\n\r\n7\r\nrank 1\n\r\n7\r\nrank 2\n\r\n7\r\nrank 3\n\r\n0\r\n\r\n"));
/// ```
pub struct BodyStream {
    /// Gives the next chunk's future.
    next: Box<dyn FnMut() -> NextChunk>,
    /// The total the chunks will add up to, if known: sent as
    /// `Content-Length` and held to.
    length: Option<u64>,
}

impl BodyStream {
    /// A body whose chunks come from `next_chunk`, called again each time
    /// the last chunk has been written (so a slow server slows the source
    /// down). Empty chunks are skipped.
    pub fn new<F, Fut>(mut next_chunk: F) -> BodyStream
    where
        F: FnMut() -> Fut + 'static,
        Fut: Future<Output = Option<io::Result<Vec<u8>>>> + 'static,
    {
        BodyStream { next: Box::new(move || Box::pin(next_chunk())), length: None }
    }

    /// Says the chunks add up to `length` bytes: the body goes out with
    /// that `Content-Length` rather than chunked. A stream that then gives
    /// more or fewer bytes fails the request with
    /// [`Error::InvalidRequest`](crate::http::Error::InvalidRequest) (the
    /// connection is closed, since its framing is broken).
    pub fn with_length(mut self, length: u64) -> BodyStream {
        self.length = Some(length);
        self
    }

    /// The file's contents from where it is now to its end, with that
    /// length as `Content-Length`. Each 64 KiB piece is read on the
    /// blocking pool ([`to_thread`](crate::to_thread)), so a slow disk
    /// never stalls the loop.
    ///
    /// # Errors
    /// The error of asking the file for its length and position.
    pub fn from_file(mut file: File) -> io::Result<BodyStream> {
        let position = io::Seek::stream_position(&mut file)?;
        let length = file.metadata()?.len().saturating_sub(position);
        // The file goes to the pool thread and comes back with each piece.
        let slot = Rc::new(RefCell::new(Some(file)));
        let stream = BodyStream::new(move || {
            let slot = Rc::clone(&slot);
            async move {
                let mut file = slot.borrow_mut().take()?;
                let read = crate::to_thread(move || {
                    let mut piece = vec![0; FILE_CHUNK];
                    let read = file.read(&mut piece).map(|n| {
                        piece.truncate(n);
                        piece
                    });
                    (file, read)
                });
                match read.await {
                    Ok((file, Ok(piece))) if !piece.is_empty() => {
                        *slot.borrow_mut() = Some(file);
                        Some(Ok(piece))
                    }
                    Ok((_, Ok(_))) => None,
                    Ok((_, Err(error))) => Some(Err(error)),
                    Err(panicked) => Some(Err(io::Error::other(panicked.to_string()))),
                }
            }
        });
        Ok(stream.with_length(length))
    }

    /// The announced length, if any.
    pub(crate) fn length(&self) -> Option<u64> {
        self.length
    }

    /// The next non-empty chunk, `None` at the end.
    pub(crate) async fn next_chunk(&mut self) -> Option<io::Result<Vec<u8>>> {
        loop {
            match (self.next)().await {
                Some(Ok(chunk)) if chunk.is_empty() => continue,
                other => return other,
            }
        }
    }
}

impl fmt::Debug for BodyStream {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BodyStream").field("length", &self.length).finish_non_exhaustive()
    }
}
