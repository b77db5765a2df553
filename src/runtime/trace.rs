//! The loop's optional event trace: spawn, poll, wake, complete, timer fired,
//! callback run and I/O ready, each stamped with the loop iteration and the
//! loop time, so a test can assert the exact order of events and a reader can
//! study a run (written out as JSON lines).
//!
//! Turn it on with [`Builder::trace`](crate::Builder::trace) or the
//! `CORIO_TRACE=<file>` environment variable (the file is written when the
//! loop closes).

use std::fmt::Write as _;
use std::io::{self, Write};
use std::time::Duration;

/// One recorded event.
///
/// ```
/// let lp = corio::EventLoop::builder().virtual_time(true).trace(true).build();
/// lp.run_until_complete(async {});
/// let events = lp.take_trace();
/// assert!(matches!(events[0].kind, corio::TraceKind::Spawn { .. }));
/// println!("{}", events[0].to_json());
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TraceEvent {
    /// The loop iteration (asyncio's `_run_once` call) it happened in,
    /// counting from zero.
    pub iteration: u64,
    /// Loop time since the loop was created.
    pub time: Duration,
    /// What happened.
    pub kind: TraceKind,
}

/// What a [`TraceEvent`] records.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TraceKind {
    /// A task was created and queued for its first step.
    Spawn {
        /// Task id.
        task: u64,
        /// Task name at creation.
        name: String,
    },
    /// A task was polled.
    Poll {
        /// Task id.
        task: u64,
    },
    /// A task was woken and queued. `remote` if the wake reached the loop
    /// through its cross-thread wake queue: it came from another thread, or
    /// arrived while the loop was not running.
    Wake {
        /// Task id.
        task: u64,
        /// Came through the cross-thread wake queue.
        remote: bool,
    },
    /// A task finished: `outcome` is `ok`, `cancelled` or `panicked`.
    Complete {
        /// Task id.
        task: u64,
        /// How it ended.
        outcome: &'static str,
    },
    /// A timer fell due and its entry moved to the ready queue.
    TimerFired,
    /// A `call_soon`/`call_later`/`call_at` callback ran.
    Callback,
    /// The reactor reported readiness for an I/O source.
    IoReady {
        /// The source's token (its key in the reactor's slab).
        token: usize,
        /// Readable (or read-closed, or error).
        readable: bool,
        /// Writable (or write-closed, or error).
        writable: bool,
    },
}

impl TraceKind {
    /// The event's name, as written in the JSON `event` field.
    pub fn name(&self) -> &'static str {
        match self {
            TraceKind::Spawn { .. } => "spawn",
            TraceKind::Poll { .. } => "poll",
            TraceKind::Wake { .. } => "wake",
            TraceKind::Complete { .. } => "complete",
            TraceKind::TimerFired => "timer_fired",
            TraceKind::Callback => "callback",
            TraceKind::IoReady { .. } => "io_ready",
        }
    }
}

impl TraceEvent {
    /// The event as one JSON object (no trailing newline), with the time in
    /// microseconds: `{"iteration":0,"time_us":0,"event":"poll","task":1}`.
    ///
    /// ```
    /// let event = corio::TraceEvent {
    ///     iteration: 2,
    ///     time: std::time::Duration::from_millis(1),
    ///     kind: corio::TraceKind::Poll { task: 7 },
    /// };
    /// assert_eq!(event.to_json(), r#"{"iteration":2,"time_us":1000,"event":"poll","task":7}"#);
    /// ```
    pub fn to_json(&self) -> String {
        let mut json = format!(
            r#"{{"iteration":{},"time_us":{},"event":"{}""#,
            self.iteration,
            self.time.as_micros(),
            self.kind.name()
        );
        // Writing to a String cannot fail.
        let _ = match &self.kind {
            TraceKind::Spawn { task, name } => write!(json, r#","task":{task},"name":"{}""#, escape_json(name)),
            TraceKind::Poll { task } => write!(json, r#","task":{task}"#),
            TraceKind::Wake { task, remote } => write!(json, r#","task":{task},"remote":{remote}"#),
            TraceKind::Complete { task, outcome } => write!(json, r#","task":{task},"outcome":"{outcome}""#),
            TraceKind::TimerFired | TraceKind::Callback => Ok(()),
            TraceKind::IoReady { token, readable, writable } => {
                write!(json, r#","token":{token},"readable":{readable},"writable":{writable}"#)
            }
        };
        json.push('}');
        json
    }
}

/// Writes `events` as JSON lines.
pub fn write_trace_jsonl(events: &[TraceEvent], mut out: impl Write) -> io::Result<()> {
    for event in events {
        writeln!(out, "{}", event.to_json())?;
    }
    Ok(())
}

/// Escapes a string for a JSON string literal.
fn escape_json(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '"' => escaped.push_str("\\\""),
            '\\' => escaped.push_str("\\\\"),
            c if u32::from(c) < 0x20 => {
                let _ = write!(escaped, "\\u{:04x}", u32::from(c));
            }
            c => escaped.push(c),
        }
    }
    escaped
}
