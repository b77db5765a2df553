//! What a run measures about itself: wall time and user+sys CPU over the
//! workload's own span, and the process's peak resident set.

use std::time::Instant;

/// A started measurement; [`Stopwatch::stop`] ends it.
pub struct Stopwatch {
    wall: Instant,
    cpu: f64,
}

impl Stopwatch {
    /// Starts measuring now.
    pub fn start() -> Stopwatch {
        Stopwatch { wall: Instant::now(), cpu: cpu_secs() }
    }

    /// Ends the measurement: the span's wall and CPU seconds.
    pub fn stop(self) -> Span {
        Span { secs: self.wall.elapsed().as_secs_f64(), cpu: cpu_secs() - self.cpu }
    }
}

/// One measured span.
#[derive(Clone, Copy, Debug)]
pub struct Span {
    /// Wall-clock seconds.
    pub secs: f64,
    /// This process's user+sys CPU seconds.
    pub cpu: f64,
}

/// This process's user+sys CPU time so far, in seconds.
fn cpu_secs() -> f64 {
    let usage = self_usage();
    let seconds = |t: libc::timeval| t.tv_sec as f64 + t.tv_usec as f64 / 1e6;
    seconds(usage.ru_utime) + seconds(usage.ru_stime)
}

/// This process's peak resident set so far, in KiB.
pub fn peak_rss_kb() -> u64 {
    self_usage().ru_maxrss as u64
}

/// `getrusage(RUSAGE_SELF)`: every thread of this process.
fn self_usage() -> libc::rusage {
    let mut usage = std::mem::MaybeUninit::<libc::rusage>::zeroed();
    // SAFETY: `usage` is a valid, writable `rusage`; RUSAGE_SELF cannot fail.
    unsafe {
        libc::getrusage(libc::RUSAGE_SELF, usage.as_mut_ptr());
        usage.assume_init()
    }
}

/// This process's resident set now, in bytes (from `/proc/self/statm`), for
/// the bytes a workload holds per task while its tasks are alive.
pub fn rss_now_bytes() -> u64 {
    let statm = std::fs::read_to_string("/proc/self/statm").unwrap_or_default();
    let pages: u64 = statm.split_whitespace().nth(1).and_then(|p| p.parse().ok()).unwrap_or(0);
    // SAFETY: sysconf has no preconditions.
    let page = unsafe { libc::sysconf(libc::_SC_PAGESIZE) }.max(4096) as u64;
    pages * page
}
