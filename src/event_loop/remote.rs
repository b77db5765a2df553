//! [`RemoteHandle`]: the one handle to a loop that other threads may hold,
//! for asyncio's `loop.call_soon_threadsafe`. It posts to the loop's inbox
//! (`runtime/inbox.rs`), the same list cross-thread wakes go through.

use std::error::Error;
use std::fmt;
use std::sync::Arc;

use crate::runtime::context;
use crate::runtime::inbox::{Inbox, Incoming};

/// A handle to a loop that other threads can hold: `Send + Sync`, cheap to
/// clone. Get one from [`LoopHandle::remote_handle`] on the loop's thread.
///
/// [`LoopHandle::remote_handle`]: crate::LoopHandle::remote_handle
///
/// ```
/// let lp = corio::EventLoop::new();
/// let remote = lp.remote_handle();
/// std::thread::spawn(move || {
///     remote.call_soon_threadsafe(|| corio::get_running_loop().stop()).unwrap();
/// });
/// lp.run_forever(); // returns once the other thread's callback ran
/// ```
#[derive(Clone)]
pub struct RemoteHandle {
    inbox: Arc<Inbox>,
}

impl RemoteHandle {
    /// A handle posting to `inbox`.
    pub(crate) fn new(inbox: Arc<Inbox>) -> Self {
        RemoteHandle { inbox }
    }

    /// Schedules `f` to run on the loop's thread, asyncio's
    /// `loop.call_soon_threadsafe`: it joins the ready queue at the moment of
    /// the call, after everything already there, waking the loop if it is
    /// blocked. (From the loop's own thread that is the ready queue itself;
    /// from another thread, the inbox, which the loop drains into the ready
    /// queue after its next I/O poll.)
    ///
    /// # Errors
    /// [`LoopClosed`] (with `f` dropped) if the loop has closed.
    ///
    /// ```
    /// use std::sync::mpsc;
    /// let lp = corio::EventLoop::new();
    /// let remote = lp.remote_handle();
    /// let (sent, received) = mpsc::channel();
    /// let answer = std::thread::spawn(move || {
    ///     remote.call_soon_threadsafe(move || sent.send(std::thread::current().id()).unwrap())
    /// });
    /// lp.run_until_complete(corio::sleep(std::time::Duration::from_millis(50)));
    /// answer.join().unwrap().unwrap();
    /// assert_eq!(received.recv().unwrap(), std::thread::current().id());
    /// ```
    pub fn call_soon_threadsafe(&self, f: impl FnOnce() + Send + 'static) -> Result<(), LoopClosed> {
        if let Some(core) = context::try_current()
            && Arc::ptr_eq(&core.inbox, &self.inbox)
            && !core.is_closed()
        {
            core.call_soon(f);
            return Ok(());
        }
        self.inbox.post(Incoming::Callback(Box::new(f))).map_err(|_| LoopClosed)
    }
}

impl fmt::Debug for RemoteHandle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RemoteHandle").field("closed", &self.inbox.is_closed()).finish()
    }
}

/// [`RemoteHandle::call_soon_threadsafe`] was called after the loop closed.
///
/// ```
/// let lp = corio::EventLoop::new();
/// let remote = lp.remote_handle();
/// lp.close();
/// assert_eq!(remote.call_soon_threadsafe(|| {}), Err(corio::LoopClosed));
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LoopClosed;

impl fmt::Display for LoopClosed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("event loop is closed")
    }
}

impl Error for LoopClosed {}
