//! Combinators over tasks, asyncio's `gather`, `wait` and `as_completed`.
//! They are built only from the public task API (`Task`, `create_task`) plus
//! two loop-thread helpers on `Task` that observe completion without taking
//! the output.

pub(crate) mod as_completed;
pub(crate) mod gather;
pub(crate) mod wait;
