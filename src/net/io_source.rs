//! [`IoSource`]: a mio socket registered with the running loop's reactor,
//! and the one retry rule every socket operation follows.
//!
//! The rule (`poll_io`): try the operation; if it returns `WouldBlock`,
//! leave this task's waker with the reactor for that direction and return
//! `Pending`. The reactor wakes the task on the socket's next readiness
//! edge, and the operation is tried again. Each operation that completes
//! spends a unit of the step's cooperative budget (`runtime/budget.rs`);
//! with none left, the operation is not tried: the task requeues itself and
//! returns `Pending`, so a socket that always has data cannot starve the
//! loop.
//!
//! The byte streams (TCP, Unix-domain, pipes) read and write through `&S`
//! (`Read`/`Write` on a shared reference, so one task can read while
//! another writes), and their `read`, `write`, `write_all`, `poll_read` and
//! `poll_write` are written once here, for any such `S`.

use std::future::poll_fn;
use std::io::{self, Read, Write};
use std::rc::{Rc, Weak};
use std::task::{Context, Poll};

use mio::event::Source;

use crate::runtime::context;
use crate::runtime::core::LoopCore;
use crate::runtime::reactor::Direction;

/// A registered socket.
pub(crate) struct IoSource<S: Source> {
    io: S,
    /// Its token in the reactor.
    key: usize,
    /// The loop whose reactor it is registered with.
    core: Weak<LoopCore>,
}

impl<S: Source> IoSource<S> {
    /// Registers `io` with the running loop.
    pub(crate) fn new(mut io: S) -> io::Result<Self> {
        let core = context::try_current().ok_or_else(|| io::Error::other("no running event loop"))?;
        let key = core.reactor.register(&mut io)?;
        Ok(IoSource { io, key, core: Rc::downgrade(&core) })
    }

    /// The socket.
    pub(crate) fn get_ref(&self) -> &S {
        &self.io
    }

    /// Tries `op` until it stops being interrupted; on `WouldBlock`, parks
    /// the task for `direction` and returns `Pending`.
    pub(crate) fn poll_io<R>(
        &self,
        direction: Direction,
        cx: &mut Context<'_>,
        op: impl FnMut(&S) -> io::Result<R>,
    ) -> Poll<io::Result<R>> {
        let Some(core) = self.core.upgrade() else {
            return Poll::Ready(Err(io::Error::other("event loop is closed")));
        };
        if !core.budget.has_room() {
            // This step has done its share: run again after the others.
            cx.waker().wake_by_ref();
            return Poll::Pending;
        }
        match self.try_now(op) {
            Err(error) if error.kind() == io::ErrorKind::WouldBlock => {
                core.reactor.set_waker(self.key, direction, cx.waker());
                // The reactor wakes us on the socket's next readiness edge
                // in `direction` (`Reactor::turn`).
                Poll::Pending
            }
            result => {
                core.budget.spend();
                Poll::Ready(result)
            }
        }
    }

    /// Tries `op` until it stops being interrupted, and nothing more: no
    /// budget, no parking (`WouldBlock` is returned as it is). For a probe
    /// that must really look, or a best-effort write by a task that must not
    /// take the waiting writer's place (the reactor keeps one waker per
    /// direction).
    pub(crate) fn try_now<R>(&self, mut op: impl FnMut(&S) -> io::Result<R>) -> io::Result<R> {
        loop {
            match op(&self.io) {
                Err(error) if error.kind() == io::ErrorKind::Interrupted => {}
                result => return result,
            }
        }
    }
}

impl<S: Source> IoSource<S>
where
    for<'a> &'a S: Read,
{
    /// Poll-style read; `Ok(0)` means the peer closed its side.
    pub(crate) fn poll_read(&self, cx: &mut Context<'_>, buf: &mut [u8]) -> Poll<io::Result<usize>> {
        // Nothing to read parks the task until the reactor reports the
        // source readable (or closed).
        self.poll_io(Direction::Read, cx, |mut io| io.read(buf))
    }

    /// Reads into `buf`, waiting until there is something to read.
    pub(crate) async fn read(&self, buf: &mut [u8]) -> io::Result<usize> {
        poll_fn(|cx| self.poll_read(cx, buf)).await
    }
}

impl<S: Source> IoSource<S>
where
    for<'a> &'a S: Write,
{
    /// Poll-style write of some of `buf`.
    pub(crate) fn poll_write(&self, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        // A full send buffer parks the task until the reactor reports the
        // source writable again.
        self.poll_io(Direction::Write, cx, |mut io| io.write(buf))
    }

    /// Writes some of `buf`, waiting until the source takes at least a byte.
    pub(crate) async fn write(&self, buf: &[u8]) -> io::Result<usize> {
        poll_fn(|cx| self.poll_write(cx, buf)).await
    }

    /// Writes all of `buf`; `WriteZero` if the source accepts no bytes.
    pub(crate) async fn write_all(&self, mut buf: &[u8]) -> io::Result<()> {
        while !buf.is_empty() {
            match self.write(buf).await? {
                0 => return Err(io::ErrorKind::WriteZero.into()),
                n => buf = &buf[n..],
            }
        }
        Ok(())
    }
}

impl<S: Source> Drop for IoSource<S> {
    fn drop(&mut self) {
        // Closing the socket removes it from epoll anyway; deregistering
        // frees its slab slot and wakers.
        if let Some(core) = self.core.upgrade() {
            core.reactor.deregister(self.key, &mut self.io);
        }
    }
}
