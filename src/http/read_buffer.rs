//! [`ReadBuffer`]: bytes received on a connection and not consumed yet,
//! read in sizes that grow while reads fill them ([`ReadSize`]).
//!
//! A fixed read size is wrong both ways. Small, a 120 KB page takes ten
//! `recv` calls, and the server, whose data sits unread in our socket
//! buffer, sees a small TCP window and writes in small pieces too: both
//! ends work harder. Large, every connection holds a large buffer, even
//! one that only ever gets redirects. So the size adapts, as hyper's
//! `ReadStrategy::Adaptive` does: a read that fills the space it was given
//! says more was probably waiting, and the next read asks for twice as
//! much, up to [`MAX_READ`]; reads that come back under half the size,
//! twice in a row, halve it again, down to [`MIN_READ`]. One short read
//! does not: the tail of a response is usually short, and the next
//! response on the connection is probably as large as this one was. The
//! buffer follows the size: it grows to make room for the next read, and
//! once emptied it gives back what is beyond twice the size.
//!
//! The very first read goes into an array on the stack, and the buffer is
//! then allocated to what came: a request waiting for its answer (10,000
//! of them, say) holds no buffer until the answer starts to arrive.
//!
//! `connection.rs` keeps the plaintext here for the HTTP parsers; TLS
//! (`transport.rs`) keeps the records read from the socket here until
//! rustls takes them, because rustls itself reads 4 KiB at a time.

use std::io::{self, Read};
use std::task::{Poll, ready};

/// The smallest read, and the first: a typical page's head and first body
/// bytes, or a few TLS records.
pub(crate) const MIN_READ: usize = 16 * 1024;

/// The largest read. A 120 KB page arrives in one read with room to spare,
/// and a connection's buffer stays within about twice this (an emptied one
/// shrinks to the read size), so an idle pooled connection holds 512 KiB
/// at most.
pub(crate) const MAX_READ: usize = 256 * 1024;

/// The adaptive size of the next read; see the module documentation. Pure
/// bookkeeping, with no I/O.
#[derive(Clone, Copy, Debug)]
pub(crate) struct ReadSize {
    /// Bytes the next read asks for: a power of two from `MIN_READ` to
    /// `MAX_READ`.
    next: usize,
    /// Set after one read that came back under half of `next`; a second
    /// in a row halves it.
    shrink_next: bool,
}

impl ReadSize {
    /// Starts at [`MIN_READ`].
    pub(crate) const fn new() -> ReadSize {
        ReadSize { next: MIN_READ, shrink_next: false }
    }

    /// Bytes the next read should ask for.
    pub(crate) fn next(&self) -> usize {
        self.next
    }

    /// Records that a read, given at least [`next`](Self::next) bytes of
    /// space, returned `read` bytes. The end of the stream (0) is no
    /// evidence either way.
    pub(crate) fn record(&mut self, read: usize) {
        if read == 0 {
            return;
        }
        if read >= self.next {
            // It filled what it asked for: more was probably waiting.
            self.next = (self.next * 2).min(MAX_READ);
            self.shrink_next = false;
        } else if read < self.next / 2 && self.next > MIN_READ {
            if self.shrink_next {
                self.next /= 2;
                self.shrink_next = false;
            } else {
                self.shrink_next = true;
            }
        } else {
            // Within the size's range: proof it is still needed.
            self.shrink_next = false;
        }
    }
}

/// Received bytes and the size of the next read.
pub(crate) struct ReadBuffer {
    /// `bytes[start..end]` are received and not consumed. The vector is
    /// kept at its full length (zeroed once), so reads go straight into
    /// its tail without re-initialising memory. Empty, with no
    /// allocation, until the first bytes arrive.
    bytes: Vec<u8>,
    /// First unconsumed byte.
    start: usize,
    /// One past the last received byte.
    end: usize,
    /// How much the next read asks for.
    size: ReadSize,
}

impl ReadBuffer {
    /// An empty buffer with no allocation.
    pub(crate) const fn new() -> ReadBuffer {
        ReadBuffer { bytes: Vec::new(), start: 0, end: 0, size: ReadSize::new() }
    }

    /// The received bytes not consumed yet.
    pub(crate) fn unread(&self) -> &[u8] {
        &self.bytes[self.start..self.end]
    }

    /// True when every received byte was consumed.
    pub(crate) fn is_empty(&self) -> bool {
        self.start == self.end
    }

    /// Marks the first `n` unread bytes consumed.
    pub(crate) fn consume(&mut self, n: usize) {
        debug_assert!(n <= self.end - self.start);
        self.start += n;
        if self.start == self.end {
            // Everything consumed: the next read can start at the front.
            self.start = 0;
            self.end = 0;
        }
    }

    /// Appends the bytes of one read: `read` is given free space of at
    /// least the next read's size and returns how many bytes it put there
    /// (0 at the end of the stream), or `Pending`, which is passed on.
    pub(crate) fn poll_fill(
        &mut self,
        read: impl FnOnce(&mut [u8]) -> Poll<io::Result<usize>>,
    ) -> Poll<io::Result<usize>> {
        if self.bytes.is_empty() {
            return self.poll_first_fill(read);
        }
        self.make_room();
        let n = ready!(read(&mut self.bytes[self.end..]))?;
        self.end += n;
        self.size.record(n);
        Poll::Ready(Ok(n))
    }

    /// The first read: into an array on the stack, and only then into a
    /// buffer sized to what came. An answer read whole in one go (a small
    /// page, a redirect) never costs a full read's buffer; the next read
    /// grows it if there is more. The one copy is of at most [`MIN_READ`]
    /// bytes, once per connection.
    fn poll_first_fill(&mut self, read: impl FnOnce(&mut [u8]) -> Poll<io::Result<usize>>) -> Poll<io::Result<usize>> {
        let mut first = [0u8; MIN_READ];
        let n = ready!(read(&mut first))?;
        self.bytes.extend_from_slice(&first[..n]);
        self.end = n;
        self.size.record(n);
        Poll::Ready(Ok(n))
    }

    /// Makes at least the next read's size free after `end`: first by
    /// moving the unread bytes to the front, and only if that is not enough
    /// by growing (the read size grew, or a head is larger than one read).
    /// An emptied buffer more than twice that size shrinks to it first:
    /// the reads that needed it have stopped.
    fn make_room(&mut self) {
        let want = self.size.next();
        if self.is_empty() && self.bytes.len() > 2 * want {
            self.bytes.truncate(want);
            self.bytes.shrink_to_fit();
        }
        if self.bytes.len() - self.end >= want {
            return;
        }
        if self.start > 0 {
            self.bytes.copy_within(self.start..self.end, 0);
            self.end -= self.start;
            self.start = 0;
        }
        if self.bytes.len() - self.end < want {
            self.bytes.resize(self.end + want, 0);
        }
    }
}

/// Reading consumes the unread bytes: how rustls takes the TLS records.
impl Read for ReadBuffer {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.unread().len().min(buf.len());
        buf[..n].copy_from_slice(&self.unread()[..n]);
        self.consume(n);
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The sizes after each read of `reads`, starting from `new()`.
    fn sizes(reads: &[usize]) -> Vec<usize> {
        let mut size = ReadSize::new();
        reads
            .iter()
            .map(|&read| {
                size.record(read);
                size.next() / 1024
            })
            .collect()
    }

    #[test]
    fn reads_that_fill_their_space_double_the_next_up_to_the_cap() {
        let full = [16, 32, 64, 128, 256, 256].map(|kib| kib * 1024);
        assert_eq!(sizes(&full), [32, 64, 128, 256, 256, 256]);
    }

    #[test]
    fn a_120_kb_page_read_after_read_settles_at_128_kib() {
        // 16 + 32 + 64 KiB fill their reads; the page's last 8 KiB do not.
        let mut reads = vec![16 << 10, 32 << 10, 64 << 10, 8 << 10];
        // The next pages arrive whole in one read each.
        reads.extend([120_000; 4]);
        assert_eq!(sizes(&reads), [32, 64, 128, 128, 128, 128, 128, 128]);
    }

    #[test]
    fn two_short_reads_in_a_row_halve_it_and_one_does_not() {
        let mut reads = vec![16 << 10, 32 << 10, 64 << 10];
        // One short read, then one in range: no change.
        reads.extend([1000, 100 << 10]);
        // Two short reads in a row halve it; two more halve it again.
        reads.extend([1000, 1000, 1000, 1000]);
        assert_eq!(sizes(&reads), [32, 64, 128, 128, 128, 128, 64, 64, 32]);
    }

    #[test]
    fn it_never_shrinks_below_the_first_size() {
        assert_eq!(sizes(&[10, 10, 10, 10]), [16, 16, 16, 16]);
    }

    #[test]
    fn the_end_of_the_stream_changes_nothing() {
        assert_eq!(sizes(&[16 << 10, 0, 0, 0]), [32, 32, 32, 32]);
    }

    /// A peer's bytes waiting in the socket: each read takes what fits.
    struct Waiting(Vec<u8>);

    impl Waiting {
        /// One read of `buffer`, counted in `reads`.
        fn fill(&mut self, buffer: &mut ReadBuffer, reads: &mut usize) -> usize {
            *reads += 1;
            let Poll::Ready(Ok(n)) = buffer.poll_fill(|space| {
                let n = space.len().min(self.0.len());
                space[..n].copy_from_slice(&self.0[..n]);
                self.0.drain(..n);
                Poll::Ready(Ok(n))
            }) else {
                unreachable!("the fake socket is always ready")
            };
            n
        }
    }

    /// The reads it takes to receive and consume each page of `pages`
    /// bytes, each waiting whole before its first read.
    fn reads_per_page(pages: &[usize]) -> Vec<usize> {
        let mut buffer = ReadBuffer::new();
        pages
            .iter()
            .map(|&page| {
                let mut waiting = Waiting((0..page).map(|i| i as u8).collect());
                let (mut reads, mut received) = (0, Vec::new());
                while received.len() < page {
                    waiting.fill(&mut buffer, &mut reads);
                    received.extend_from_slice(buffer.unread());
                    buffer.consume(buffer.unread().len());
                }
                assert!(received.iter().enumerate().all(|(i, &byte)| byte == i as u8), "the bytes came in order");
                reads
            })
            .collect()
    }

    #[test]
    fn a_120_kb_page_takes_one_read_once_the_size_has_grown() {
        // 16 + 32 + 64 KiB, then the last 8 KiB; later pages in one read
        // each (a fixed 16 KiB read would take 8 every time).
        assert_eq!(reads_per_page(&[120_000; 4]), [4, 1, 1, 1]);
    }

    #[test]
    fn the_first_read_allocates_only_what_came() {
        let mut buffer = ReadBuffer::new();
        assert_eq!(buffer.bytes.capacity(), 0, "no allocation before the first bytes");
        Waiting(b"HTTP/1.1 204 No Content\r\n\r\n".to_vec()).fill(&mut buffer, &mut 0);
        assert_eq!(buffer.unread(), b"HTTP/1.1 204 No Content\r\n\r\n");
        assert!(buffer.bytes.capacity() < 64, "{} bytes for a 27-byte answer", buffer.bytes.capacity());
    }

    #[test]
    fn an_emptied_buffer_shrinks_with_the_read_size() {
        let mut buffer = ReadBuffer::new();
        let mut waiting = Waiting(vec![7; 1 << 20]);
        while !waiting.0.is_empty() {
            waiting.fill(&mut buffer, &mut 0);
            buffer.consume(buffer.unread().len());
        }
        assert!(buffer.bytes.len() >= MAX_READ, "it grew to the largest read");
        // Small answers from now on: two short reads halve the size, and
        // the emptied buffer follows it down.
        for _ in 0..16 {
            Waiting(vec![1; 100]).fill(&mut buffer, &mut 0);
            buffer.consume(100);
        }
        assert_eq!(buffer.size.next(), MIN_READ);
        assert!(buffer.bytes.len() <= 2 * MIN_READ, "{} bytes kept", buffer.bytes.len());
    }

    #[test]
    fn unread_bytes_survive_the_buffer_growing_under_them() {
        let mut buffer = ReadBuffer::new();
        let mut waiting = Waiting((0..200_000).map(|i| (i % 251) as u8).collect());
        // Consume only part of each read, as a parser waiting for the end
        // of a head does.
        let mut received = Vec::new();
        while !waiting.0.is_empty() {
            waiting.fill(&mut buffer, &mut 0);
            let half = buffer.unread().len() / 2;
            received.extend_from_slice(&buffer.unread()[..half]);
            buffer.consume(half);
        }
        received.extend_from_slice(buffer.unread());
        assert!(received.iter().enumerate().all(|(i, &byte)| byte == (i % 251) as u8));
        assert_eq!(received.len(), 200_000);
    }

    #[test]
    fn reading_it_takes_the_unread_bytes() {
        let mut buffer = ReadBuffer::new();
        Waiting(b"records".to_vec()).fill(&mut buffer, &mut 0);
        let mut first = [0u8; 3];
        assert_eq!(buffer.read(&mut first).unwrap(), 3);
        assert_eq!(&first, b"rec");
        assert_eq!(buffer.unread(), b"ords");
        let mut rest = [0u8; 16];
        assert_eq!(buffer.read(&mut rest).unwrap(), 4);
        assert!(buffer.is_empty());
    }
}
