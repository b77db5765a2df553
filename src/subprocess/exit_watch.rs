//! [`ExitWatch`]: learning that a child process exited, on the reactor.
//!
//! asyncio on Linux 3.12+ waits for a child with its `PidfdChildWatcher`:
//! a *pidfd* (`pidfd_open(2)`, Linux 5.3) turns readable when the process
//! exits, so the selector reports the exit like any other readiness. corio
//! does the same: the pidfd is registered with the reactor through
//! `IoSource`, and waiting is the try-then-park rule with `try_wait` as the
//! operation. The alternatives asyncio had before were a `SIGCHLD` handler
//! (which races with every other reaper in the process) and a thread
//! blocked in `waitpid` per child.

use std::io;
use std::os::fd::{AsRawFd, OwnedFd};
use std::process::{Child, ExitStatus};
use std::task::{Context, Poll};

use mio::event::Source;
use mio::unix::SourceFd;
use mio::{Interest, Registry, Token};

use crate::net::IoSource;
use crate::runtime::reactor::Direction;

/// A child's pidfd, registered with the running loop.
pub(crate) struct ExitWatch {
    /// The registered pidfd.
    source: IoSource<PidFd>,
}

/// A pidfd, as a mio source.
struct PidFd(OwnedFd);

impl ExitWatch {
    /// Opens `child`'s pidfd and registers it.
    ///
    /// # Errors
    /// `pidfd_open`'s error (`Unsupported` before Linux 5.3), or "no
    /// running event loop".
    pub(crate) fn new(child: &Child) -> io::Result<ExitWatch> {
        let pid = rustix::process::Pid::from_child(child);
        let fd = rustix::process::pidfd_open(pid, rustix::process::PidfdFlags::empty()).map_err(io::Error::from)?;
        Ok(ExitWatch { source: IoSource::new(PidFd(fd))? })
    }

    /// Poll-style wait: reaps `child` once it has exited.
    ///
    /// # Errors
    /// `waitpid`'s error.
    pub(crate) fn poll_exit(&self, cx: &mut Context<'_>, child: &mut Child) -> Poll<io::Result<ExitStatus>> {
        // Still running: the reactor wakes this task when the pidfd turns
        // readable, which it does once, at the exit.
        self.source.poll_io(Direction::Read, cx, |_| match child.try_wait()? {
            Some(status) => Ok(status),
            None => Err(io::ErrorKind::WouldBlock.into()),
        })
    }
}

impl Source for PidFd {
    fn register(&mut self, registry: &Registry, token: Token, interests: Interest) -> io::Result<()> {
        SourceFd(&self.0.as_raw_fd()).register(registry, token, interests)
    }

    fn reregister(&mut self, registry: &Registry, token: Token, interests: Interest) -> io::Result<()> {
        SourceFd(&self.0.as_raw_fd()).reregister(registry, token, interests)
    }

    fn deregister(&mut self, registry: &Registry) -> io::Result<()> {
        SourceFd(&self.0.as_raw_fd()).deregister(registry)
    }
}
