//! A single-threaded async runtime of our own, shaped like Python's asyncio.
//!
//! `corio` ("coroutine I/O") is meant to be used and to be read. It has its
//! own executor, waker plumbing, hierarchical timer wheel and mio-driven
//! reactor, and on top of them the API an asyncio user expects: [`run`],
//! [`create_task`], [`task_group`], [`gather()`], [`wait`], [`sleep()`],
//! [`wait_for`], [`as_completed`], [`LoopFuture`], an explicit
//! [`EventLoop`], the [`sync`] primitives, streams and sockets in [`net`],
//! signal handlers and [`subprocess`]es; [`http`], an HTTP/1.1 client (the
//! aiohttp of this world) built on it; and [`redis`], a Redis client (the
//! aioredis).
//! Scheduling order is specified (it follows asyncio's `_run_once`) and can
//! be tested exactly on a virtual clock with an event trace.
//!
//! ```
//! use std::time::Duration;
//!
//! async fn say_after(delay_ms: u64, what: &'static str) -> &'static str {
//!     corio::sleep(Duration::from_millis(delay_ms)).await;
//!     what
//! }
//!
//! let greetings = corio::run(async {
//!     let hello = corio::create_task(say_after(20, "hello"));
//!     let world = corio::create_task(say_after(10, "world"));
//!     (hello.await.unwrap(), world.await.unwrap())
//! });
//! assert_eq!(greetings, ("hello", "world"));
//! ```
//!
//! # A tour of the source, in reading order
//!
//! This table is the crate's one module map; DESIGN.md explains the design
//! and refers back here. The folders show the layers: `runtime/` is the
//! engine, which users never touch; the folders after it are what users
//! hold; `http/proto/` and `redis/proto/` are sans-IO protocols that import
//! nothing of either.
//!
//! **The engine** (`runtime/`), from a task's allocation to one turn of the
//! loop:
//!
//! | file | concept | key type |
//! |---|---|---|
//! | `runtime/raw_task.rs` | one allocation per task: state bits, refcount, vtable; its loop-thread data (a lazily boxed `Local`, the stage union) | `TaskRef`, `JoinRef` |
//! | `runtime/loop_thread.rs` | "touched only on the loop's thread", as a `!Send` proof value | `LoopThread` |
//! | `runtime/waker.rs` | the hand-written `RawWakerVTable`: waking is queueing | `waker_ref`, `schedule` |
//! | `runtime/task_slab.rs` | the loop's live tasks by key, 8 bytes a slot | `TaskSlab` |
//! | `runtime/ready.rs` | the ready queue and what it holds (task steps, callbacks, timer wakes) | `ReadyQueue`, `Runnable` |
//! | `runtime/inbox.rs`, `runtime/context.rs` | how a wake finds its loop, from any thread | `Inbox` |
//! | `runtime/core/mod.rs` | one loop iteration in four phases, asyncio's `_run_once` | `LoopCore` |
//! | `runtime/core/step.rs`, `runtime/core/observe.rs` | one task step: poll, cancel, complete; current task, reports, the trace | `Outcome` |
//! | `runtime/io_wait.rs` | phase 1: how long the reactor may block (a pure function) | `IoWait` |
//! | `runtime/wheel.rs` | the hierarchical timer wheel, pure data | `TimerWheel` |
//! | `runtime/clock.rs` | real or virtual time; instants to ticks | `Clock` |
//! | `runtime/reactor.rs` | epoll readiness to wakers | `Reactor` |
//! | `runtime/blocking.rs` | helper threads for blocking jobs | `BlockingPool` |
//! | `runtime/report.rs`, `runtime/trace.rs` | what the loop tells you | [`Report`], [`TraceEvent`] |
//!
//! **What users hold**, each a thin layer on the engine:
//!
//! | file | concept | key type |
//! |---|---|---|
//! | `task/handle.rs`, `task/spawn.rs` | a task's handle; spawning and finding tasks | [`Task`], [`create_task`] |
//! | `task/eager.rs` | a task whose first step runs inside `create_eager_task` | [`create_eager_task`] |
//! | `task/loop_future.rs` | asyncio's `Future`: set once, awaited by many | [`LoopFuture`] |
//! | `task/group.rs` | a body and its children, waited for together; the first failure cancels the rest | [`task_group`], [`TaskGroup`] |
//! | `task/to_thread.rs` | a blocking function's result, awaited | [`to_thread`] |
//! | `task/threadsafe.rs` | a future run on the loop for another thread, which blocks on it | [`run_coroutine_threadsafe`], [`ConcurrentFuture`] |
//! | `event_loop/*.rs` | the loop you drive: `run`, `EventLoop`, `LoopHandle`, `Builder`, the thread-safe `RemoteHandle`, callback handles | [`EventLoop`] |
//! | `time/sleep.rs`, `time/timeout.rs` | sleeping; deadlines around a future | [`Sleep`], [`timeout()`] |
//! | `net/io_source.rs`, `net/tcp_*.rs`, `net/dns.rs` | the try-then-park rule; TCP and DNS on the loop | [`net::TcpStream`] |
//! | `net/udp_socket.rs`, `net/unix_*.rs`, `net/pipe.rs` | UDP, Unix-domain sockets and pipes on the same rule | [`net::UdpSocket`], [`net::UnixStream`] |
//! | `net/streams/*.rs` | asyncio's streams: pull-based reader, writer with a flush task, servers | [`net::StreamReader`], [`net::StreamWriter`], [`net::Server`] |
//! | `event_loop/signals.rs`, `event_loop/signal_registration.rs` | Unix signals as loop callbacks, through a self-pipe on the reactor; signal-hook's side | [`SignalError`] |
//! | `subprocess/*.rs` | child processes: piped streams, exit through a pidfd on the reactor | [`subprocess::Process`] |
//! | `combine/*.rs` | gather, wait, as_completed | [`gather()`], [`AsCompleted`] |
//! | `sync/waiters.rs` | the one FIFO line of parked tasks every primitive uses | `WaiterList` |
//! | `sync/lock.rs`, `sync/event.rs`, `sync/semaphore.rs` | Lock, Event, Semaphore, with hand-off | [`sync::Lock`], [`sync::Semaphore`] |
//! | `sync/condition.rs`, `sync/bounded_semaphore.rs`, `sync/barrier.rs` | built on those: Condition on a Lock, BoundedSemaphore, Barrier | [`sync::Condition`], [`sync::Barrier`] |
//! | `sync/queue/mod.rs`, `sync/queue/order.rs`, `sync/queue/error.rs` | Queue with `join` and `shutdown`; FIFO, LIFO, priority orders; its errors | [`sync::Queue`], [`sync::PutError`] |
//! | `testing.rs` | an event log for testing scheduling order | [`testing::EventLog`] |
//! | `error.rs` | why a task, a future, a group or a deadline yielded no output | [`TaskError`], [`TaskGroupError`] |
//!
//! **The HTTP client** ([`http`]), in the order a request passes through
//! it; the `http/proto/` files are the sans-IO half, table-tested beside
//! their code:
//!
//! | file | concept | key type |
//! |---|---|---|
//! | `http/mod.rs` | the client's front door; its two halves | [`http::Session`] |
//! | `http/proto/mod.rs` | the sans-IO protocol and what it may import | — |
//! | `http/proto/url.rs` | URLs: parse, normalise, join | [`http::Url`] |
//! | `http/proto/host.rs` | host and port, checked once; names mapped by UTS #46 (`idna`) | [`http::Host`] |
//! | `http/proto/percent.rs` | percent-encoding, dot segments | `write_path` |
//! | `http/proto/headers.rs` | ordered header fields in one buffer; field checks | [`http::Headers`] |
//! | `http/proto/auth.rs` | Basic credentials and bearer tokens as header values | `basic`, `bearer` |
//! | `http/request.rs` | describing a request; per-request overrides; rendering its head | [`http::RequestBuilder`], `TimeoutSetting` |
//! | `http/proto/multipart.rs` | `multipart/form-data` bodies | [`http::FormData`] |
//! | `http/body_stream.rs` | a request body produced while it is sent: a file, any async source | [`http::BodyStream`] |
//! | `http/settings.rs` | a session's settings and defaults | [`http::SessionBuilder`] |
//! | `http/session.rs` | shared state, the redirect loop, one hop | [`http::Session`] |
//! | `http/proto/redirect.rs` | which redirects to follow; the next hop (pure) | `Hop`, `next_hop` |
//! | `http/deadline.rs` | connect/read/total timeouts on the loop's clock | `Deadline` |
//! | `http/proxy.rs` | which proxy, with which credentials | `Proxy` |
//! | `http/pool.rs` | in-use limits, FIFO waiting, idle reuse | `Pool`, `Lease` |
//! | `http/connect.rs` | DNS, TCP, CONNECT tunnel, then TLS | `open` |
//! | `http/tls.rs` | rustls config; self-signed vs unknown issuer | `client_config` |
//! | `http/transport.rs` | plain or TLS byte pipe, poll-style | `Transport` |
//! | `http/read_buffer.rs` | received bytes; reads that grow while they fill their space | `ReadBuffer`, `ReadSize` |
//! | `http/connection.rs` | the receive buffer parsers read from | `Connection` |
//! | `http/exchange.rs` | write (watching for an early answer), read the head, skip 1xx, framing | `exchange` |
//! | `http/proto/early_answer.rs` | what an answer during the body means for it (curl's rule) | `classify` |
//! | `http/proto/head.rs` | finding and parsing the response head | `HeadScanner`, `ResponseHead` |
//! | `http/proto/framing.rs` | how the body is delimited (RFC 9112 6.3) | `Framing` |
//! | `http/body.rs` | moving body bytes under the deadlines; returning the connection | `BodyReader` |
//! | `http/proto/body_decoder.rs` | unframe, decode, limit, per-read budget | `BodyDecoder` |
//! | `http/proto/chunked.rs` | the chunked state machine | `ChunkedDecoder` |
//! | `http/proto/decode.rs` | content codings in bounded steps; gzip and deflate | `ContentDecoder` |
//! | `http/proto/brotli.rs`, `http/proto/zstd.rs` | the `br` and `zstd` stages | `BrotliStage`, `ZstdStage` |
//! | `http/proto/gzip.rs` | gzip member header and trailer | `GzipHeader`, `GzipTrailer` |
//! | `http/response.rs` | what the caller gets: status, headers, body as bytes, text or JSON | [`http::Response`] |
//! | `http/proto/charset.rs` | which encoding a body's text is in (BOM, header, `<meta>` prescan); decoding it | `choose` |
//! | `http/proto/status.rs` | the status code, its class and reason | [`http::StatusCode`] |
//! | `http/proto/set_cookie.rs` | parsing `Set-Cookie` | `SetCookie` |
//! | `http/proto/cookie.rs` | the cookie jar (RFC 6265) | `CookieJar`, [`http::Cookie`] |
//! | `http/proto/date.rs` | HTTP and cookie dates | [`http::parse_http_date`] |
//! | `http/error.rs` | the one error type and its typed causes | [`http::Error`], [`http::ProtocolError`], [`http::DecodeError`] |
//! | `http/proto/properties.rs`, `http/proto/proptests.rs` | the parsers' properties on any input, and the proptests that generate it | `check_response`, `check_url` |
//! | `fuzzing.rs` | the cargo-fuzz targets' entry points (feature `fuzzing`, hidden, not API) | `content`, `url` |
//!
//! **The Redis client** ([`redis`]), from the URL to the reply; the
//! `redis/proto/` files are the sans-IO half, table-tested beside their
//! code:
//!
//! | file | concept | key type |
//! |---|---|---|
//! | `redis/mod.rs` | the client's front door; its two halves | [`redis::Connection`] |
//! | `redis/proto/mod.rs` | the sans-IO protocol and what it may import | — |
//! | `redis/proto/url.rs` | `redis://[user:pass@]host[:port][/db]` | [`redis::ServerAddress`] |
//! | `redis/connect.rs` | timeouts; the greeting: HELLO 3 or AUTH, SELECT | [`redis::ConnectOptions`] |
//! | `redis/stream.rs` | plain TCP or TLS (`http/transport.rs`), shared by two tasks | `Stream` |
//! | `redis/wire.rs` | a socket as a sequence of replies | `Wire` |
//! | `redis/proto/parse.rs` | RESP2/RESP3 replies within limits | [`redis::Limits`], [`redis::ProtocolError`] |
//! | `redis/proto/value.rs`, `redis/proto/server_error.rs` | a reply; an error reply and its code | [`redis::Value`], [`redis::ServerError`] |
//! | `redis/connection.rs` | one socket for many tasks: reply slots, reader and writer tasks | [`redis::Connection`] |
//! | `redis/cmd.rs`, `redis/proto/encode.rs` | a command and its arguments; on the wire | [`redis::Cmd`], [`redis::ToArgs`] |
//! | `redis/from_value.rs` | replies into Rust values, either protocol | [`redis::FromValue`] |
//! | `redis/commands/*.rs` | typed methods: keys and strings, hashes, lists, sets, streams | [`redis::SetOptions`], [`redis::StreamEntry`] |
//! | `redis/pipeline.rs` | many commands, one round trip; MULTI/EXEC | [`redis::Pipeline`] |
//! | `redis/pubsub.rs` | a subscribed connection, message by message | [`redis::PubSub`] |
//! | `redis/pool.rs` | whole connections lent for blocking commands and WATCH | [`redis::Pool`] |
//! | `redis/proto/slot.rs` | a key's cluster hash slot | [`redis::key_slot`] |
//! | `redis/cluster.rs` | a cluster: route by slot, follow MOVED and ASK | [`redis::Cluster`] |
//! | `redis/error.rs` | the one error type | [`redis::Error`] |
//!
//! DESIGN.md walks through the life of a wakeup and the path of a request
//! step by step, in the words these files use.

// Unsafe code is allowed in two files only, `runtime/raw_task.rs` and
// `runtime/waker.rs`; every block there says why it is sound and does one
// unsafe thing.
#![deny(unsafe_code, unsafe_op_in_unsafe_fn)]
#![deny(clippy::undocumented_unsafe_blocks, clippy::multiple_unsafe_ops_per_block)]
#![warn(missing_docs)]

mod combine;
mod error;
mod event_loop;
/// Entry points for the cargo-fuzz targets in `fuzz/`; not part of the
/// public API, only built with the `fuzzing` feature.
#[cfg(feature = "fuzzing")]
#[doc(hidden)]
pub mod fuzzing;
pub mod http;
pub mod net;
pub mod redis;
mod runtime;
pub mod subprocess;
pub mod sync;
mod task;
pub mod testing;
mod time;

pub use combine::as_completed::{AsCompleted, as_completed};
pub use combine::gather::{gather, gather_all};
pub use combine::shield::{Shield, shield};
pub use combine::wait::{ALL_COMPLETED, FIRST_COMPLETED, FIRST_EXCEPTION, ReturnWhen, wait};
pub use error::{InvalidStateError, TaskError, TaskFailure, TaskGroupError, TimeoutError};

pub use event_loop::{
    Builder, CallbackHandle, EventLoop, LoopClosed, LoopHandle, RemoteHandle, SignalError, TimerHandle,
    get_running_loop, run,
};
pub use runtime::report::Report;
pub use runtime::trace::{TraceEvent, TraceKind, write_trace_jsonl};
/// Signal numbers (`SIGINT`, `SIGTERM`, `SIGUSR1`, ...) for
/// [`LoopHandle::add_signal_handler`], as Python's `signal` module has them.
pub use signal_hook::consts::signal;
pub use task::{
    Awaiting, ConcurrentFuture, DoneCallbackId, IntoTask, Join, LoopFuture, Task, TaskGroup, TaskGroupScope,
    TaskHandle, ToThread, all_tasks, create_eager_task, create_future, create_named_task, create_task, current_task,
    ensure_future, run_coroutine_threadsafe, task_group, to_thread,
};
pub use time::{Sleep, Timeout, sleep, sleep_until, timeout, timeout_at, wait_for};

/// Items the exported macros expand to; not part of the public API.
#[doc(hidden)]
pub mod __private {
    pub use crate::combine::gather::{Children, Gathering};
}

/// The README's Rust example, compiled and run as a doc test so it stays true.
#[doc = include_str!("../README.md")]
#[cfg(doctest)]
pub struct ReadmeDoctests;
