//! The event loop's engine: the ready queue, the task slab, the timer wheel,
//! the reactor, and [`LoopCore::run_once`], one iteration of the loop.
//!
//! `run_once` follows asyncio's `BaseEventLoop._run_once`, one method per
//! phase:
//!
//! 1. **Timeout** (`plan_wait`). Zero if anything is ready; otherwise until
//!    the next timer (or forever if there is none). The decision is the pure
//!    function in `io_wait.rs`, tested as a table.
//! 2. **Poll I/O** (`poll_io`). Block in `epoll_wait` for at most that long;
//!    the reactor wakes the tasks whose sockets became ready, and wakes that
//!    arrived from other threads are drained into the ready queue. A poll
//!    that may not block, with no source registered, could find nothing and
//!    is skipped.
//! 3. **Timers** (`fire_timers`). Every timer now due moves to the ready
//!    queue (with none pending, the clock is not even read).
//! 4. **Run** (`run_ready`). Exactly the entries that were ready when this
//!    phase began run, in FIFO order. Anything queued while they run waits
//!    for the next iteration, after another I/O poll, so a task that keeps
//!    waking itself cannot starve I/O or timers.
//!
//! On a virtual clock, phase 2 never blocks when a timer is pending: if
//! nothing at all is ready, phase 3 jumps the clock straight to the next
//! timer.
//!
//! Running one entry of phase 4 (a task's step, its cancellation and its
//! completion) is `step.rs`; what the loop shows and reports (current and
//! alive tasks, the exception handler, the trace) is `observe.rs`.

mod observe;
mod step;
#[cfg(test)]
mod tests;

use std::cell::{Cell, RefCell};
use std::future::Future;
use std::io;
use std::path::PathBuf;
use std::rc::{Rc, Weak};
use std::sync::Arc;
use std::task::Waker;
use std::time::{Duration, Instant};

use crate::runtime::blocking::BlockingPool;
use crate::runtime::budget::Budget;
use crate::runtime::clock::Clock;
use crate::runtime::context;
use crate::runtime::inbox::{Inbox, Incoming};
use crate::runtime::io_wait::{IoWait, LoopFacts, io_wait};
use crate::runtime::loop_thread::LoopThread;
use crate::runtime::raw_task::{Awaited, Cancellable, DoneWaiter, JOIN_INTEREST, JoinRef, SCHEDULED, TaskRef};
use crate::runtime::reactor::Reactor;
use crate::runtime::ready::{CallbackCell, ReadyQueue, Runnable, TimerAction};
use crate::runtime::report::Report;
use crate::runtime::task_slab::TaskSlab;
use crate::runtime::trace::{TraceEvent, TraceKind};
use crate::runtime::wheel::{TimerKey, TimerWheel};

thread_local! {
    /// The id the next task spawned on this thread gets. asyncio numbers
    /// tasks from 1 across every loop of the process (`Task-4` on a second
    /// loop); corio counts per thread, which is the same for a program's
    /// loops (each runs on the thread that made it) and keeps tests that run
    /// side by side, each on its own thread, from sharing one count.
    static NEXT_TASK_ID: Cell<u64> = const { Cell::new(1) };
}

/// The loop's exception handler (see `report.rs`).
pub(crate) type ExceptionHandler = Rc<dyn Fn(&Report)>;

/// How a loop is set up; filled in by [`Builder`](crate::Builder).
pub(crate) struct Config {
    /// Use a virtual clock.
    pub(crate) virtual_time: bool,
    /// Record a trace.
    pub(crate) trace: bool,
    /// Write the trace to this file as JSON lines when the loop closes.
    pub(crate) trace_file: Option<PathBuf>,
    /// Debug mode: report polls slower than this.
    pub(crate) slow_poll: Option<Duration>,
    /// Start every task eagerly.
    pub(crate) eager_tasks: bool,
}

/// The single-threaded state of one event loop.
pub(crate) struct LoopCore {
    /// The half other threads can reach (cross-thread wakes).
    pub(crate) inbox: Arc<Inbox>,
    /// Tasks, callbacks and timer wakes ready to run, in FIFO order.
    ready: ReadyQueue,
    /// Every task not yet complete, by key. The slab owns one reference to
    /// each, which keeps a task alive while only wakers point at it.
    tasks: RefCell<TaskSlab>,
    /// Timers: `sleep` wakes and `call_later` callbacks, by due tick.
    timers: RefCell<TimerWheel<TimerAction>>,
    pub(crate) reactor: Reactor,
    /// Real or virtual time.
    pub(crate) clock: Clock,
    /// The I/O budget of the task step being run (`budget.rs`).
    pub(crate) budget: Budget,
    /// Threads for blocking work (`to_thread`, DNS).
    pub(crate) blocking: BlockingPool,
    /// Iterations completed so far.
    iteration: Cell<u64>,
    /// The key the next done-callback gets.
    next_callback_key: Cell<u64>,
    /// The slab key of the task being polled right now.
    current_task: Cell<Option<usize>>,
    /// Phase 4 is running: a task or callback is on the stack, which is
    /// when asyncio's `loop.is_running()` is true as far as user code can
    /// tell; eager tasks start eagerly only then.
    running_ready: Cell<bool>,
    /// Every task starts eagerly (asyncio's `eager_task_factory`).
    eager_tasks: bool,
    /// `stop()` was called: leave `run_forever` after this iteration.
    stopping: Cell<bool>,
    /// `close()` has run.
    closed: Cell<bool>,
    /// Debug mode's slow-poll threshold.
    slow_poll: Option<Duration>,
    /// The events recorded so far; `None` when tracing is off.
    trace: RefCell<Option<Vec<TraceEvent>>>,
    /// Where to write the trace on close.
    trace_file: Option<PathBuf>,
    /// The exception handler, if one was set.
    handler: RefCell<Option<ExceptionHandler>>,
    /// A weak pointer to ourselves, handed to task handles and timers.
    weak_self: Weak<LoopCore>,
    /// Proof that we are on this loop's thread, for opening our tasks'
    /// loop-thread state; copied into every task handle we make.
    thread: LoopThread,
}

impl LoopCore {
    /// Creates a loop core (its selector, its waker, its clock).
    pub(crate) fn new(config: Config) -> io::Result<Rc<Self>> {
        let (reactor, waker) = Reactor::new()?;
        let core = Rc::new_cyclic(|weak_self| LoopCore {
            inbox: Inbox::new(waker),
            ready: ReadyQueue::default(),
            tasks: RefCell::new(TaskSlab::new()),
            timers: RefCell::new(TimerWheel::new()),
            reactor,
            clock: Clock::new(config.virtual_time),
            budget: Budget::new(),
            blocking: BlockingPool::new(),
            iteration: Cell::new(0),
            next_callback_key: Cell::new(0),
            current_task: Cell::new(None),
            running_ready: Cell::new(false),
            eager_tasks: config.eager_tasks,
            stopping: Cell::new(false),
            closed: Cell::new(false),
            slow_poll: config.slow_poll,
            trace: RefCell::new((config.trace || config.trace_file.is_some()).then(Vec::new)),
            trace_file: config.trace_file,
            handler: RefCell::new(None),
            weak_self: weak_self.clone(),
            // The loop is created here and, being `!Send`, stays here.
            thread: LoopThread::of_new_loop(),
        });
        // So that a task handle dropped while the loop is not running can
        // still find the loop to report to (`context::loop_of`).
        context::register(&core);
        Ok(core)
    }

    /// A weak pointer to this core.
    pub(crate) fn weak(&self) -> Weak<LoopCore> {
        self.weak_self.clone()
    }

    /// The proof that the caller is on this loop's thread (having a
    /// `&LoopCore` at all shows it: the core is `!Send` and `!Sync`).
    pub(crate) fn thread(&self) -> LoopThread {
        self.thread
    }

    // ----- Scheduling -------------------------------------------------

    /// Spawns `future` as a task queued for its first step (asyncio's
    /// `Task.__init__` calls `loop.call_soon(self.__step)`), returning the
    /// reference a `Task` handle will hold.
    ///
    /// # Panics
    /// If the loop is closed.
    pub(crate) fn spawn<F>(&self, future: F, name: Option<String>) -> JoinRef<F::Output>
    where
        F: Future + 'static,
    {
        // The task starts SCHEDULED because we queue it right away.
        let join = self.new_task(future, name, SCHEDULED);
        self.ready.push(Runnable::Task(join.task().clone()));
        join
    }

    /// Spawns `future` as an eager task (asyncio 3.12's `eager_start`):
    /// its first step runs now, inside the caller, as the current task. A
    /// task that completes in that step is done on return and was never
    /// queued; one that suspends waits for its wakers like any other.
    /// Outside phase 4 (no task or callback is running, so asyncio's loop
    /// would not be running) the task is queued as [`LoopCore::spawn`]
    /// queues it.
    ///
    /// # Panics
    /// If the loop is closed.
    pub(crate) fn spawn_eager<F>(&self, future: F, name: Option<String>) -> JoinRef<F::Output>
    where
        F: Future + 'static,
    {
        if !self.running_ready.get() {
            return self.spawn(future, name);
        }
        let join = self.new_task(future, name, 0);
        self.run_task(join.task().clone());
        join
    }

    /// Whether [`LoopCore::spawn`] starts tasks eagerly
    /// ([`Builder::eager_task_factory`](crate::Builder::eager_task_factory)).
    pub(crate) fn eager_tasks(&self) -> bool {
        self.eager_tasks
    }

    /// Allocates a task with the next number and puts it in the slab, with
    /// `state` and JOIN_INTEREST (the handle the caller makes will take the
    /// output); queueing it is the caller's business.
    fn new_task<F>(&self, future: F, name: Option<String>, state: u32) -> JoinRef<F::Output>
    where
        F: Future + 'static,
    {
        assert!(!self.closed.get(), "event loop is closed");
        let id = NEXT_TASK_ID.replace(NEXT_TASK_ID.get() + 1);

        let mut tasks = self.tasks.borrow_mut();
        let entry = tasks.vacant_entry();
        let join = JoinRef::new(future, self.inbox.clone(), id, entry.key(), state | JOIN_INTEREST);
        let task = join.task();
        entry.insert(task.clone());
        drop(tasks);

        if let Some(name) = name {
            task.local(self.thread).borrow_mut().name = Some(name);
        }
        self.record(|| TraceKind::Spawn { task: id, name: task.name(self.thread) });
        join
    }

    /// Queues a callback at the back of the ready queue (asyncio's
    /// `call_soon`), returning the cell its handle cancels through.
    ///
    /// # Panics
    /// If the loop is closed.
    pub(crate) fn call_soon(&self, f: impl FnOnce() + 'static) -> Rc<CallbackCell> {
        assert!(!self.closed.get(), "event loop is closed");
        let cell = CallbackCell::new(f);
        self.ready.push(Runnable::Callback(cell.clone()));
        cell
    }

    /// Schedules a callback for `when` (asyncio's `call_at`), returning its
    /// cell and its timer, which its handle cancels through.
    ///
    /// # Panics
    /// If the loop is closed.
    pub(crate) fn call_at(&self, when: Instant, f: impl FnOnce() + 'static) -> (Rc<CallbackCell>, TimerKey) {
        assert!(!self.closed.get(), "event loop is closed");
        let cell = CallbackCell::new(f);
        let key = self.insert_timer(when, TimerAction::Callback(cell.clone()));
        (cell, key)
    }

    /// Adds `f` to `task`'s done list (asyncio's `add_done_callback`): it is
    /// queued when the task completes, or right away, like `call_soon`, if
    /// it already has. Returns the key `TaskRef::remove_done_callback`
    /// takes.
    pub(crate) fn add_done_callback(&self, task: &TaskRef, f: Box<dyn FnOnce()>) -> u64 {
        let key = self.new_callback_key();
        if task.is_complete() {
            // Too late for the done list: queue it now, the one way done
            // lists are told (which also knows a closed loop runs nothing).
            self.schedule_done([DoneWaiter::Callback { key, f }]);
        } else {
            task.local(self.thread).borrow_mut().done.push(DoneWaiter::Callback { key, f });
        }
        key
    }

    /// A fresh key for a done-callback, unique within the loop (loop
    /// futures keep their own done lists and number them from here too).
    pub(crate) fn new_callback_key(&self) -> u64 {
        let key = self.next_callback_key.get();
        self.next_callback_key.set(key + 1);
        key
    }

    /// Tells a done list that its task or future completed, in the order
    /// they asked, as asyncio's `__schedule_callbacks` does: an awaiting
    /// task is woken (it resumes in the next iteration) and each
    /// done-callback is queued to run then. The caller has let go of every
    /// borrow: the wakers may run foreign code. A closed loop runs nothing
    /// more, so there the list is only dropped.
    pub(crate) fn schedule_done(&self, done: impl IntoIterator<Item = DoneWaiter>) {
        for waiter in done {
            match waiter {
                DoneWaiter::Awaiter(waker) => self.wake(waker),
                DoneWaiter::Callback { f, .. } if !self.closed.get() => {
                    self.ready.push(Runnable::Callback(CallbackCell::from_box(f)))
                }
                DoneWaiter::Callback { .. } => {}
            }
        }
    }

    /// Records that the task being polled is blocked on `child` (see
    /// `Local::awaiting`); outside a task's poll there is nobody to record.
    pub(crate) fn await_task(&self, child: &TaskRef) {
        self.await_awaited(Awaited::Task(child.clone()));
    }

    /// Records that the task being polled is blocked on a loop future,
    /// as [`LoopCore::await_task`] does for a task.
    pub(crate) fn await_future(&self, future: Rc<dyn Cancellable>) {
        self.await_awaited(Awaited::Other(future));
    }

    /// How many entries the polled task's `awaiting` list holds now: the
    /// mark [`LoopCore::awaited_since`] takes, to find what one future
    /// inside the task registers while it is polled.
    pub(crate) fn awaiting_mark(&self) -> usize {
        self.current_task().map_or(0, |current| current.local(self.thread).borrow().awaiting.len())
    }

    /// The entries the polled task's `awaiting` list gained since `mark`.
    pub(crate) fn awaited_since(&self, mark: usize) -> Vec<Awaited> {
        let Some(current) = self.current_task() else { return Vec::new() };
        let local = current.local(self.thread).borrow();
        local.awaiting.get(mark..).map(<[Awaited]>::to_vec).unwrap_or_default()
    }

    /// Adds `awaited` to the polled task's `awaiting` list.
    fn await_awaited(&self, awaited: Awaited) {
        if let Some(current) = self.current_task() {
            current.local(self.thread).borrow_mut().awaiting.push(awaited);
        }
    }

    /// Queues a task woken on the loop's thread (called by the waker through
    /// `Inbox::schedule`).
    pub(crate) fn push_woken(&self, task: TaskRef) {
        self.record(|| TraceKind::Wake { task: task.header().id, remote: false });
        self.ready.push(Runnable::Task(task));
    }

    /// Puts `entry` in the wheel, due at the first tick not before `deadline`.
    pub(crate) fn insert_timer(&self, deadline: Instant, entry: TimerAction) -> TimerKey {
        let tick = self.clock.deadline_tick(deadline);
        let mut timers = self.timers.borrow_mut();
        if timers.next_expiration().is_none() {
            // Phase 3 leaves an empty wheel where it stands rather than read
            // the clock to move it (`fire_timers`). Catch it up first, so it
            // files this timer as if it had moved every iteration (an empty
            // wheel has nothing to fire).
            timers.advance(self.clock.now_tick(), drop);
        }
        timers.insert(tick, entry)
    }

    /// For a pending `sleep`: makes sure its timer will wake `waker`, and
    /// says whether the timer is still pending (`false` once it fired).
    pub(crate) fn refresh_timer(&self, key: TimerKey, waker: &Waker) -> bool {
        let mut timers = self.timers.borrow_mut();
        let replaced = match timers.get_mut(key) {
            Some(TimerAction::Wake(stored)) if !stored.will_wake(waker) => std::mem::replace(stored, waker.clone()),
            Some(_) => return true,
            None => return false,
        };
        // Drop the old waker after the borrow: its drop may run foreign code.
        drop(timers);
        drop(replaced);
        true
    }

    /// Removes a timer that has not fired.
    pub(crate) fn cancel_timer(&self, key: TimerKey) {
        // Drop the entry after the borrow ends: it may hold a callback whose
        // captures run code when dropped.
        let entry = self.timers.borrow_mut().cancel(key);
        drop(entry);
    }

    // ----- The loop ---------------------------------------------------

    /// One iteration of the loop; see the module docs for the four phases.
    pub(crate) fn run_once(&self) {
        let wait = self.plan_wait();
        self.poll_io(wait);
        self.fire_timers(wait);
        self.run_ready();
        self.iteration.set(self.iteration.get() + 1);
    }

    /// Phase 1: how long may we block? Not at all if work is queued or a
    /// stop was requested; otherwise until the next timer is due (a virtual
    /// clock jumps to it instead). The rules are `io_wait.rs`'s table.
    fn plan_wait(&self) -> IoWait {
        io_wait(LoopFacts {
            work_queued: !self.ready.is_empty() || self.stopping.get(),
            next_timer: self.timers.borrow().next_expiration(),
            blocking_in_flight: self.blocking.in_flight() > 0,
            virtual_clock: self.clock.is_virtual(),
        })
    }

    /// Phase 2: poll I/O, waking the tasks of ready sockets, then move what
    /// arrived from other threads onto the ready queue.
    fn poll_io(&self, wait: IoWait) {
        let timeout = wait.timeout(|tick| self.clock.until_tick(tick));
        // A poll that may not block, with no source registered, can report
        // nothing but the inbox's eventfd, and that event carries nothing:
        // the arrivals are taken below whether we polled or not. Skipping
        // it is unobservable, and saves the one syscall of an iteration
        // (asyncio polls here every time; a loop that only passes work
        // between tasks then spends most of its time in `epoll_wait`). With
        // any source registered we always poll, even when no task waits on
        // it: the poll consumes the source's edges, and an edge left
        // pending would wake a task that parks on it later, spuriously.
        if timeout != Some(Duration::ZERO) || self.reactor.has_sources() {
            self.turn_reactor(timeout);
        }
        self.inbox.unpark(|entry| {
            let runnable = match entry {
                Incoming::Task(task) => {
                    self.record(|| TraceKind::Wake { task: task.header().id, remote: true });
                    Runnable::Task(task)
                }
                Incoming::Callback(f) => Runnable::Callback(CallbackCell::new(f)),
            };
            self.ready.push(runnable);
        });
    }

    /// Phase 2's poll: waits up to `timeout` for I/O and wakes the tasks of
    /// the sockets that became ready.
    fn turn_reactor(&self, mut timeout: Option<Duration>) {
        // A poll that may block parks first: `park` tells other threads to
        // write to the eventfd if they wake a task while we block, and if
        // some already did, we must not block at all.
        if timeout != Some(Duration::ZERO) && self.inbox.park() {
            timeout = Some(Duration::ZERO);
        }
        let polled = self.reactor.turn(
            timeout,
            |readiness| {
                self.record(|| TraceKind::IoReady {
                    token: readiness.token,
                    readable: readiness.readable,
                    writable: readiness.writable,
                });
            },
            |waker| self.wake(waker),
        );
        if let Err(error) = polled {
            // epoll_wait only fails on a broken selector (EBADF, EINVAL);
            // asyncio lets that OSError escape the loop too.
            panic!("the reactor's poll failed: {error}");
        }
    }

    /// Phase 3: move every timer now due to the ready queue. On a virtual
    /// clock with nothing to do, first jump from one timer to the next
    /// (cascades in the wheel may need several jumps) until something is due.
    fn fire_timers(&self, wait: IoWait) {
        if wait == IoWait::JumpToTimer {
            while self.ready.is_empty() {
                let Some(tick) = self.timers.borrow().next_expiration() else { break };
                self.clock.advance_to_tick(tick);
                self.fire_timers_due_by(tick);
            }
        }
        // With no timer pending there is nothing to fire, and no reason to
        // read the clock (on a real clock a `clock_gettime`, a tenth of an
        // iteration that only passes work between tasks); `insert_timer`
        // catches the wheel up before it files the next timer.
        if self.timers.borrow().next_expiration().is_none() {
            return;
        }
        self.fire_timers_due_by(self.clock.now_tick());
    }

    /// Phase 4: run what was ready when this phase began, and no more: what
    /// those entries queue waits for the next iteration, after another I/O
    /// poll, so a task that keeps waking itself cannot starve I/O or timers.
    fn run_ready(&self) {
        let ntodo = self.ready.len();
        self.running_ready.set(true);
        for _ in 0..ntodo {
            let Some(runnable) = self.ready.pop() else { break };
            self.run(runnable);
        }
        self.running_ready.set(false);
    }

    /// Moves every timer due by `now_tick` to the ready queue.
    fn fire_timers_due_by(&self, now_tick: u64) {
        let mut timers = self.timers.borrow_mut();
        timers.advance(now_tick, |entry| {
            self.record(|| TraceKind::TimerFired);
            self.ready.push(entry.into());
        });
    }

    /// Asks `run_forever` to return after the current iteration.
    pub(crate) fn stop(&self) {
        self.stopping.set(true);
    }

    /// Consumes a pending stop request.
    pub(crate) fn take_stop(&self) -> bool {
        self.stopping.replace(false)
    }

    /// Drops every pending task (reporting each), every queued callback and
    /// timer, and stops the blocking pool. Idempotent.
    pub(crate) fn close(&self) {
        if self.closed.replace(true) {
            return;
        }
        drop(self.inbox.close());
        // Cancel every pending task first and report afterwards: a report
        // runs user code (the exception handler) that may panic, and no task
        // may be left with a live future once the slab has let go of it.
        let pending: Vec<TaskRef> = self.tasks.borrow_mut().drain().collect();
        let mut destroyed = Vec::with_capacity(pending.len());
        for task in &pending {
            destroyed.push(task.name(self.thread));
            self.cancel_now(task);
        }
        for task in destroyed {
            self.report(Report::DestroyedPending { task });
        }
        drop(pending);
        // Take everything out before dropping it: dropped callbacks and
        // futures may look at the loop.
        let ready = self.ready.take_all();
        drop(ready);
        let timers = std::mem::replace(&mut *self.timers.borrow_mut(), TimerWheel::new());
        drop(timers);
        self.blocking.shutdown();
        self.write_trace_file();
    }

    /// True once `close` has run.
    pub(crate) fn is_closed(&self) -> bool {
        self.closed.get()
    }
}

impl Drop for LoopCore {
    fn drop(&mut self) {
        self.close();
    }
}
