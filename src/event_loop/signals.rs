//! Unix signals as loop callbacks: asyncio's `loop.add_signal_handler` and
//! `loop.remove_signal_handler`, built on signal-hook's self-pipe and the
//! reactor.
//!
//! The path of one signal, which takes the iterations asyncio's takes:
//!
//! 1. The OS runs signal-hook's handler on whatever thread it picks; for
//!    each signal a loop handles, the handler writes one byte to that
//!    handler's pipe (`low_level::pipe`, async-signal-safe). Nothing else
//!    may happen inside a signal handler, which is why a pipe is needed.
//! 2. The pipe's read end is a socket registered with the loop's reactor
//!    (as a [`UnixStream`], so through `IoSource::poll_io` like every other
//!    socket). Its read waker is not a task's: it is a [`SignalWake`] that
//!    posts `dispatch` to the loop's ready queue
//!    (`call_soon_threadsafe`), as asyncio's selector queues its
//!    `_read_from_self` callback. No task is spawned, so signal handlers
//!    show up neither in `all_tasks()` nor in task numbering.
//! 3. `dispatch` reads the bytes and queues the handler's callback once per
//!    byte with `call_soon`, as asyncio's `_handle_signal` does: a signal
//!    raised in iteration N runs its callback in iteration N + 2.
//!
//! Which callbacks a loop has is kept in a thread-local table keyed by the
//! loop, rather than in a field of the engine's `LoopCore`: the engine does
//! not know signals, and a loop and its callbacks live on one thread anyway.
//! `EventLoop::close` (and dropping an `EventLoop`) removes a loop's entries,
//! as asyncio's `close` removes its signal handlers.
//!
//! Removing the last handler of a signal gives the signal its default
//! action back (asyncio sets `SIG_DFL`). signal-hook cannot uninstall its
//! OS-level handler, so the first handler of each signal also registers
//! signal-hook's *conditional default*, armed while no loop in the process
//! handles the signal: the default action (terminating, for most signals)
//! then runs as if the disposition were `SIG_DFL`. That bookkeeping, and
//! the registration itself, is `signal_registration.rs`.

use std::cell::RefCell;
use std::fmt;
use std::io;
use std::os::unix::net::UnixStream as StdUnixStream;
use std::rc::{Rc, Weak};
use std::sync::Arc;
use std::task::{Context, Poll, Wake, Waker};

use super::loop_handle::LoopHandle;
use super::remote::RemoteHandle;
use super::signal_registration::{Registration, check_signal};
use crate::net::UnixStream;
use crate::runtime::context;
use crate::runtime::core::LoopCore;

/// Why [`LoopHandle::add_signal_handler`] refused a signal.
#[derive(Debug)]
pub enum SignalError {
    /// Not a signal number this platform knows (asyncio: `ValueError`,
    /// "sig N out of range"). Real-time signals are not supported.
    Invalid(i32),
    /// `SIGKILL` and `SIGSTOP`, which no process can catch, and the fault
    /// signals `SIGILL`, `SIGFPE` and `SIGSEGV`, whose handler would run
    /// again and again on the faulting instruction (asyncio: `RuntimeError`,
    /// "sig N cannot be caught", for the first two).
    Uncatchable(i32),
    /// The system refused: no descriptors left for the pipe, or
    /// `sigaction` failed.
    Io(io::Error),
}

impl fmt::Display for SignalError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SignalError::Invalid(signum) => write!(f, "{signum} is not a signal number"),
            SignalError::Uncatchable(signum) => write!(f, "signal {signum} cannot be caught on the loop"),
            SignalError::Io(error) => write!(f, "cannot install the signal handler: {error}"),
        }
    }
}

impl std::error::Error for SignalError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            SignalError::Io(error) => Some(error),
            _ => None,
        }
    }
}

/// A signal callback; `RefCell` because it is `FnMut` and called from the
/// ready queue, never re-entrantly.
type Callback = Rc<RefCell<dyn FnMut()>>;

/// One handled signal of one loop.
struct Installed {
    /// The loop.
    core: Weak<LoopCore>,
    /// The signal.
    signum: i32,
    /// What to call per delivery; replaced by a second `add_signal_handler`.
    callback: Callback,
    /// The pipe's read end: a plain socket until the loop runs and it can be
    /// registered with the reactor.
    pipe: RefCell<Pipe>,
    /// The pipe's read waker (a [`SignalWake`]).
    waker: Waker,
    /// signal-hook's registration; dropping it stops the writes.
    _registration: Registration,
}

/// The read end of a handler's pipe.
enum Pipe {
    /// Not yet registered: `add_signal_handler` was called outside the
    /// running loop, and the bytes wait in the socket until it runs.
    Unarmed(StdUnixStream),
    /// Registered with the loop's reactor.
    Armed(UnixStream),
    /// Between the two, or after arming failed (the handler then never runs).
    Broken,
}

thread_local! {
    /// Every loop's installed handlers on this thread.
    static INSTALLED: RefCell<Vec<Installed>> = const { RefCell::new(Vec::new()) };
}

impl LoopHandle {
    /// Calls `callback` on the loop each time signal `signum` arrives
    /// (asyncio's `loop.add_signal_handler`), replacing this loop's previous
    /// handler for it. The callback runs as a ready callback two iterations
    /// after the one in which the signal arrived, as in asyncio. Signals are process-wide: while two
    /// loops handle the same one, both callbacks run.
    ///
    /// # Errors
    /// [`SignalError::Invalid`] or [`SignalError::Uncatchable`] for a signal
    /// that cannot be handled; [`SignalError::Io`] if the system refuses.
    ///
    /// # Panics
    /// If the loop is closed.
    ///
    /// ```
    /// use std::cell::Cell;
    /// use std::rc::Rc;
    /// use corio::signal::SIGUSR1;
    ///
    /// let lp = corio::EventLoop::new();
    /// let received = Rc::new(Cell::new(0));
    /// let counter = received.clone();
    /// lp.add_signal_handler(SIGUSR1, move || counter.set(counter.get() + 1))?;
    /// lp.run_until_complete(async {
    ///     signal_hook::low_level::raise(SIGUSR1).unwrap();
    ///     for _ in 0..3 {
    ///         corio::sleep(std::time::Duration::ZERO).await;
    ///     }
    /// });
    /// assert_eq!(received.get(), 1);
    /// assert!(lp.remove_signal_handler(SIGUSR1));
    /// # Ok::<(), corio::SignalError>(())
    /// ```
    pub fn add_signal_handler(&self, signum: i32, callback: impl FnMut() + 'static) -> Result<(), SignalError> {
        check_signal(signum)?;
        let core = self.core();
        let callback: Callback = Rc::new(RefCell::new(callback));
        let (purged, replaced) = INSTALLED.with(|installed| {
            let mut installed = installed.borrow_mut();
            let purged = purge_closed(&mut installed);
            let entry = installed.iter_mut().find(|entry| entry.is(&core, signum));
            (purged, entry.map(|entry| std::mem::replace(&mut entry.callback, callback.clone())))
        });
        // Both are dropped outside the table's borrow: a callback may hold
        // anything, and its drop may call back in here.
        drop(purged);
        if replaced.is_some() {
            return Ok(());
        }

        let (read_end, write_end) = StdUnixStream::pair().map_err(SignalError::Io)?;
        read_end.set_nonblocking(true).map_err(SignalError::Io)?;
        let registration = Registration::new(signum, write_end)?;
        let wake = SignalWake { remote: self.remote_handle(), signum };
        let entry = Installed {
            core: Rc::downgrade(&core),
            signum,
            callback,
            pipe: RefCell::new(Pipe::Unarmed(read_end)),
            waker: Waker::from(Arc::new(wake)),
            _registration: registration,
        };
        INSTALLED.with(|installed| installed.borrow_mut().push(entry));
        if self.is_running() {
            dispatch(signum);
        } else {
            // The first dispatch arms the pipe once the loop runs (and
            // delivers what arrived before).
            self.call_soon(move || dispatch(signum));
        }
        Ok(())
    }

    /// Removes this loop's handler for `signum` (asyncio's
    /// `loop.remove_signal_handler`), returning whether there was one. With
    /// no loop left handling it, the signal's default action is back.
    /// Callbacks already queued for earlier deliveries still run.
    pub fn remove_signal_handler(&self, signum: i32) -> bool {
        let Some(core) = self.core.upgrade() else { return false };
        let removed = INSTALLED.with(|installed| {
            let mut installed = installed.borrow_mut();
            let index = installed.iter().position(|entry| entry.is(&core, signum))?;
            Some(installed.remove(index))
        });
        // Dropped outside the borrow: it deregisters from the reactor and
        // from signal-hook.
        removed.is_some()
    }
}

/// Removes every handler `core` has (its loop is closing).
pub(crate) fn remove_all_signal_handlers(core: &LoopCore) {
    // `try_with`: a loop dropped while the thread's locals are being
    // destroyed finds the table gone, and with it every entry.
    let removed = INSTALLED.try_with(|installed| {
        let mut installed = installed.borrow_mut();
        let (mine, others): (Vec<_>, Vec<_>) =
            installed.drain(..).partition(|entry| std::ptr::eq(entry.core.as_ptr(), core));
        *installed = others;
        mine
    });
    drop(removed);
}

impl Installed {
    /// True if this is `signum`'s handler on `core`.
    fn is(&self, core: &Rc<LoopCore>, signum: i32) -> bool {
        self.signum == signum && std::ptr::eq(self.core.as_ptr(), Rc::as_ptr(core))
    }

    /// Reads the pipe dry, arming it first if needed; returns how many
    /// signals arrived. When it returns, the reactor holds this entry's
    /// waker for the next byte.
    fn drain_pipe(&self) -> usize {
        let mut pipe = self.pipe.borrow_mut();
        if matches!(*pipe, Pipe::Unarmed(_)) {
            // Registering needs the running loop, which we are on now.
            *pipe = match std::mem::replace(&mut *pipe, Pipe::Broken) {
                Pipe::Unarmed(read_end) => UnixStream::from_std(read_end).map_or(Pipe::Broken, Pipe::Armed),
                other => other,
            };
        }
        let Pipe::Armed(stream) = &*pipe else { return 0 };
        let mut cx = Context::from_waker(&self.waker);
        let mut deliveries = 0;
        let mut bytes = [0u8; 64];
        // Edge-triggered: read until `WouldBlock`, which leaves our waker
        // with the reactor.
        while let Poll::Ready(Ok(n @ 1..)) = stream.poll_read(&mut cx, &mut bytes) {
            deliveries += n;
        }
        deliveries
    }
}

/// Takes out the entries of loops that are gone, for the caller to drop.
fn purge_closed(installed: &mut Vec<Installed>) -> Vec<Installed> {
    let (live, gone) =
        installed.drain(..).partition(|entry| entry.core.upgrade().is_some_and(|core| !core.is_closed()));
    *installed = live;
    gone
}

/// Step 3 of the module docs, on the loop's thread: reads `signum`'s pipe
/// for the running loop and queues its callback once per delivery.
fn dispatch(signum: i32) {
    let Some(core) = context::try_current() else { return };
    let found = INSTALLED.with(|installed| {
        let installed = installed.borrow();
        let entry = installed.iter().find(|entry| entry.is(&core, signum))?;
        Some((entry.drain_pipe(), entry.callback.clone()))
    });
    let Some((deliveries, callback)) = found else { return };
    let handle = LoopHandle::new(Rc::downgrade(&core));
    for _ in 0..deliveries {
        let callback = callback.clone();
        handle.call_soon(move || (callback.borrow_mut())());
    }
}

/// The waker the reactor wakes when a handler's pipe turns readable.
struct SignalWake {
    /// The loop to post `dispatch` to; `Send`, as a waker must be.
    remote: RemoteHandle,
    /// Whose pipe.
    signum: i32,
}

impl Wake for SignalWake {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        let signum = self.signum;
        // A closed loop has no handlers left to run.
        let _ = self.remote.call_soon_threadsafe(move || dispatch(signum));
    }
}
