//! [`timeout`] and [`wait_for`]: race a future against a deadline and drop
//! it, cancelling its work, if the deadline wins.

use std::future::{Future, IntoFuture, poll_fn};
use std::pin::pin;
use std::task::Poll;
use std::time::{Duration, Instant};

use crate::error::TimeoutError;
use crate::time::sleep::{Sleep, sleep, sleep_until};

/// Runs `future` for at most `duration`: `Ok(output)` if it completes in
/// time, otherwise `Err(TimeoutError)` with the future dropped at its
/// current await point (asyncio's `asyncio.timeout` block). If both are
/// ready in the same poll, the output wins.
///
/// A [`Task`](crate::Task) handle passed by value is cancelled on timeout,
/// as asyncio's `wait_for` cancels the task it gives up on; pass `&mut task`
/// to give up waiting but leave the task running.
///
/// ```
/// use std::time::{Duration, Instant};
/// # corio::run(async {
/// let quick = corio::timeout(Duration::from_secs(1), async { 7 }).await;
/// assert_eq!(quick, Ok(7));
/// let slow = corio::timeout(Duration::from_millis(5), corio::sleep(Duration::from_secs(9))).await;
/// assert!(slow.is_err());
/// # });
/// ```
pub async fn timeout<F: IntoFuture>(duration: Duration, future: F) -> Result<F::Output, TimeoutError> {
    race(sleep(duration), future).await
}

/// [`timeout`] with an absolute deadline on the loop's clock (asyncio's
/// `asyncio.timeout_at(when)`): useful when several steps share one
/// deadline. As with [`timeout`], the future is polled once even if the
/// deadline has already passed, and wins if it is ready then.
///
/// ```
/// use std::time::{Duration, Instant};
/// # corio::run(async {
/// let deadline = corio::get_running_loop().time() + Duration::from_millis(5);
/// let first = corio::timeout_at(deadline, async { 1 }).await;
/// let second = corio::timeout_at(deadline, corio::sleep(Duration::from_secs(9))).await;
/// assert_eq!((first, second), (Ok(1), Err(corio::TimeoutError)));
/// # });
/// ```
pub async fn timeout_at<F: IntoFuture>(deadline: Instant, future: F) -> Result<F::Output, TimeoutError> {
    race(sleep_until(deadline), future).await
}

/// Polls `future` and then `deadline` until one of them is ready.
async fn race<F: IntoFuture>(mut deadline: Sleep, future: F) -> Result<F::Output, TimeoutError> {
    let mut future = pin!(future.into_future());
    poll_fn(|cx| {
        if let Poll::Ready(output) = future.as_mut().poll(cx) {
            return Poll::Ready(Ok(output));
        }
        // Both the future and the timer hold this task's waker now; whichever
        // fires first gets us polled again.
        match pin!(&mut deadline).poll(cx) {
            Poll::Ready(()) => Poll::Ready(Err(TimeoutError)),
            Poll::Pending => Poll::Pending,
        }
    })
    .await
}

/// asyncio's name for [`timeout`], with asyncio's argument order
/// (`wait_for(aw, timeout)`): the future is cancelled (dropped) when the
/// deadline passes, and the error is [`TimeoutError`].
pub async fn wait_for<F: IntoFuture>(future: F, duration: Duration) -> Result<F::Output, TimeoutError> {
    timeout(duration, future).await
}
