//! Combinators over tasks, asyncio's `gather`, `wait`, `as_completed` and
//! `shield`. Like asyncio's, they are built on done-callbacks
//! ([`Task::add_done_callback`](crate::Task::add_done_callback)): each
//! hears of a child in the iteration after its last step and wakes its
//! awaiter, which runs one iteration later.

pub(crate) mod as_completed;
pub(crate) mod gather;
pub(crate) mod shield;
pub(crate) mod wait;
