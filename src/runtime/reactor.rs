//! The reactor: `mio::Poll` plus a slab of I/O sources, each with a read
//! waker and a write waker.
//!
//! In the life of a wakeup this is step one for I/O: a socket operation
//! returns `WouldBlock`, the task leaves its waker here and returns
//! `Pending`; when `epoll` reports the socket ready, [`Reactor::turn`] wakes
//! that waker and the task is queued for this very iteration.
//!
//! Rules (DESIGN.md, "Reactor"):
//! - A source's token is its key in the slab; the loop's own `mio::Waker`
//!   uses [`WAKE_TOKEN`], which no slab key can reach.
//! - Sources are registered once, for both directions, edge-triggered.
//!   Edge-triggered means an event arrives only when readiness *changes*, so
//!   a task must keep going until it sees `WouldBlock` before it waits.
//! - Readiness is not cached: an operation is always tried first and only a
//!   `WouldBlock` parks the task. That costs one extra syscall when a socket
//!   is not ready, and it makes a lost wakeup impossible: the waker is stored
//!   before the loop next polls, so any later edge finds it.
//! - One waker per direction: the last task to wait on a direction of a
//!   source is the one woken (two tasks reading one socket is a bug anyway).

use std::cell::{Cell, RefCell};
use std::io;
use std::task::Waker;
use std::time::Duration;

use mio::event::Source;
use mio::{Events, Interest, Poll, Registry, Token};
use slab::Slab;

/// The token of the loop's `mio::Waker`, used for cross-thread wakes.
pub(crate) const WAKE_TOKEN: Token = Token(usize::MAX);

/// How many events one `epoll_wait` can return.
const EVENTS_CAPACITY: usize = 1024;

/// Which half of a source a task waits on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Direction {
    /// Waiting to read (or accept).
    Read,
    /// Waiting to write (or for a connect to finish).
    Write,
}

/// The wakers of one registered source.
#[derive(Default)]
struct Wakers {
    /// Woken when the source becomes readable, read-closed or errored.
    reader: Option<Waker>,
    /// Woken when the source becomes writable, write-closed or errored.
    writer: Option<Waker>,
}

/// One readiness report handed to the loop for its trace: which of the
/// source's wakers were woken.
pub(crate) struct Readiness {
    /// The source's token.
    pub(crate) token: usize,
    /// Its reader was woken.
    pub(crate) readable: bool,
    /// Its writer was woken.
    pub(crate) writable: bool,
}

/// `mio::Poll` and the wakers of every registered source.
pub(crate) struct Reactor {
    /// The OS selector (epoll on Linux).
    poll: RefCell<Poll>,
    /// Reused event buffer.
    events: RefCell<Events>,
    /// Wakers by token.
    sources: RefCell<Slab<Wakers>>,
    /// How many times [`Reactor::turn`] has polled the selector: what the
    /// loop's tests count to check that it skips polls that cannot find
    /// anything.
    turns: Cell<u64>,
}

impl Reactor {
    /// Creates the selector and the `mio::Waker` other threads use to
    /// interrupt it.
    pub(crate) fn new() -> io::Result<(Reactor, mio::Waker)> {
        let poll = Poll::new()?;
        let waker = mio::Waker::new(poll.registry(), WAKE_TOKEN)?;
        let reactor = Reactor {
            poll: RefCell::new(poll),
            events: RefCell::new(Events::with_capacity(EVENTS_CAPACITY)),
            sources: RefCell::new(Slab::new()),
            turns: Cell::new(0),
        };
        Ok((reactor, waker))
    }

    /// Registers `source` for both directions, edge-triggered, and returns
    /// its token.
    pub(crate) fn register(&self, source: &mut impl Source) -> io::Result<usize> {
        let key = self.sources.borrow_mut().insert(Wakers::default());
        let interest = Interest::READABLE | Interest::WRITABLE;
        if let Err(error) = self.registry(|registry| registry.register(source, Token(key), interest)) {
            self.sources.borrow_mut().remove(key);
            return Err(error);
        }
        Ok(key)
    }

    /// Forgets `key` and removes `source` from the selector.
    pub(crate) fn deregister(&self, key: usize, source: &mut impl Source) {
        // The socket is about to be closed, which removes it from epoll
        // anyway; a failure here changes nothing for the caller.
        let _ = self.registry(|registry| registry.deregister(source));
        let wakers = self.sources.borrow_mut().try_remove(key);
        drop(wakers);
    }

    /// True if any source is registered; if none is, a poll can report
    /// nothing but the loop's own `mio::Waker`.
    pub(crate) fn has_sources(&self) -> bool {
        !self.sources.borrow().is_empty()
    }

    /// How many times the selector has been polled. Tests only.
    #[cfg(test)]
    pub(crate) fn turns(&self) -> u64 {
        self.turns.get()
    }

    /// Stores the waker to wake when `key` becomes ready in `direction`.
    pub(crate) fn set_waker(&self, key: usize, direction: Direction, waker: &Waker) {
        let mut sources = self.sources.borrow_mut();
        let Some(wakers) = sources.get_mut(key) else { return };
        let slot = match direction {
            Direction::Read => &mut wakers.reader,
            Direction::Write => &mut wakers.writer,
        };
        if slot.as_ref().is_some_and(|stored| stored.will_wake(waker)) {
            return;
        }
        let replaced = slot.replace(waker.clone());
        // Drop the old waker after the borrow: dropping runs its vtable's
        // code, which for a foreign waker could reach this reactor again.
        drop(sources);
        drop(replaced);
    }

    /// Waits up to `timeout` (forever if `None`) for I/O, then hands the
    /// wakers waiting on every source that became ready to `wake`. `on_ready`
    /// hears of each readiness just before (the loop traces it).
    pub(crate) fn turn(
        &self,
        timeout: Option<Duration>,
        mut on_ready: impl FnMut(Readiness),
        mut wake: impl FnMut(Waker),
    ) -> io::Result<()> {
        let mut events = self.events.borrow_mut();
        self.turns.set(self.turns.get() + 1);
        match self.poll.borrow_mut().poll(&mut events, timeout) {
            Ok(()) => {}
            // A signal interrupted the wait: treat it as a wait with no events.
            Err(error) if error.kind() == io::ErrorKind::Interrupted => return Ok(()),
            Err(error) => return Err(error),
        }
        for event in events.iter() {
            // The loop's waker carries no source; the loop drains its inbox
            // after every turn anyway.
            if event.token() == WAKE_TOKEN {
                continue;
            }
            let readable = event.is_readable() || event.is_read_closed() || event.is_error();
            let writable = event.is_writable() || event.is_write_closed() || event.is_error();
            // Take the wakers out before waking them: waking only queues the
            // task, but keeping the slab unborrowed keeps that obviously safe.
            let (reader, writer) = match self.sources.borrow_mut().get_mut(event.token().0) {
                Some(wakers) => (
                    if readable { wakers.reader.take() } else { None },
                    if writable { wakers.writer.take() } else { None },
                ),
                None => continue,
            };
            on_ready(Readiness { token: event.token().0, readable: reader.is_some(), writable: writer.is_some() });
            // The loop does the waking, so that a foreign waker's panic is
            // caught and reported there.
            reader.into_iter().chain(writer).for_each(&mut wake);
        }
        Ok(())
    }

    /// Runs `f` with the selector's registry.
    fn registry<R>(&self, f: impl FnOnce(&Registry) -> R) -> R {
        f(self.poll.borrow().registry())
    }
}
