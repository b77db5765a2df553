//! [`Pipeline`]: many commands, one round trip; with
//! [`atomic`](Pipeline::atomic), a MULTI/EXEC transaction.
//!
//! A pipeline's commands are encoded into the connection's outgoing buffer
//! in one step, so they reach the server back to back, and their replies
//! come back in one batch. Wrapped in MULTI ... EXEC, the server also runs
//! them with nothing else in between. With WATCH sent first on the same
//! connection, EXEC runs them only if no watched key changed since, and
//! answers nil otherwise: convert into `Option<...>` to see that.

use super::{Cmd, Connection, Error, FromValue, ServerError, Value, cmd};

/// Commands to send together.
///
/// ```no_run
/// use corio::redis::{Pipeline, cmd};
/// # corio::run(async {
/// # let conn = corio::redis::Connection::open("redis://127.0.0.1/").await?;
/// let (count, members): (i64, Vec<String>) = Pipeline::new()
///     .atomic()
///     .command(cmd("SADD").arg("seen").arg("a"))
///     .ignore()
///     .command(cmd("INCR").arg("count"))
///     .command(cmd("SMEMBERS").arg("seen"))
///     .query(&conn)
///     .await?;
/// # Ok::<(), corio::redis::Error>(())
/// # }).unwrap();
/// ```
#[derive(Clone, Debug, Default)]
#[doc(alias = "pipe")]
pub struct Pipeline {
    /// The commands, in order.
    commands: Vec<Cmd>,
    /// Indexes of commands whose replies are left out of the result, in
    /// ascending order, each once.
    ignored: Vec<usize>,
    /// Whether to wrap the commands in MULTI ... EXEC.
    atomic: bool,
}

impl Pipeline {
    /// An empty pipeline.
    pub fn new() -> Pipeline {
        Pipeline::default()
    }

    /// Wraps the commands in MULTI ... EXEC.
    #[must_use]
    pub fn atomic(mut self) -> Pipeline {
        self.atomic = true;
        self
    }

    /// Appends a command.
    #[must_use]
    pub fn command(mut self, command: Cmd) -> Pipeline {
        self.commands.push(command);
        self
    }

    /// Appends a command in place.
    pub fn push(&mut self, command: Cmd) -> &mut Pipeline {
        self.commands.push(command);
        self
    }

    /// Leaves the last command's reply out of the result.
    #[must_use]
    pub fn ignore(mut self) -> Pipeline {
        if let Some(last) = self.commands.len().checked_sub(1)
            && self.ignored.last() != Some(&last)
        {
            self.ignored.push(last);
        }
        self
    }

    /// How many commands there are.
    pub fn len(&self) -> usize {
        self.commands.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.commands.is_empty()
    }

    /// Sends every command and converts the replies, as an array (the
    /// ignored ones left out), into `T`: a tuple, a `Vec`, or `()`.
    /// An atomic pipeline whose EXEC answered nil (a WATCHed key changed)
    /// converts as nil: use `Option<T>`.
    ///
    /// # Errors
    /// The first error reply among the commands (or EXECABORT, if the
    /// server refused to queue one); otherwise as [`Connection::query`].
    pub async fn query<T: FromValue>(&self, conn: &Connection) -> Result<T, Error> {
        let (multi, exec) = (cmd("MULTI"), cmd("EXEC"));
        let mut commands: Vec<&Cmd> = Vec::with_capacity(self.commands.len() + 2);
        if self.atomic {
            commands.push(&multi);
        }
        commands.extend(self.commands.iter());
        if self.atomic {
            commands.push(&exec);
        }
        let mut replies = conn.request_all(&commands).await?;
        if self.atomic {
            // MULTI's OK and each QUEUED are only acknowledgements; a
            // command the server refused to queue shows as an error here,
            // and EXEC then answers EXECABORT.
            let exec_reply = replies.pop().unwrap_or(Value::Nil);
            if let Some(error) = replies.into_iter().find_map(error_of) {
                return Err(Error::Server(error));
            }
            replies = match exec_reply {
                Value::Nil => return T::from_value(Value::Nil),
                Value::Error(error) => return Err(Error::Server(error)),
                results => super::from_value::into_items(results, "EXEC's results")?,
            };
        }
        if let Some(at) = replies.iter().position(|reply| matches!(reply, Value::Error(_)))
            && let Some(error) = error_of(replies.swap_remove(at))
        {
            return Err(Error::Server(error));
        }
        if self.ignored.is_empty() {
            return T::from_value(Value::Array(replies));
        }
        // One walk over both lists: `ignored` ascends, as commands are added.
        let mut ignored = self.ignored.iter().copied().peekable();
        let kept = replies.into_iter().enumerate().filter_map(|(index, reply)| match ignored.next_if_eq(&index) {
            Some(_) => None,
            None => Some(reply),
        });
        T::from_value(Value::Array(kept.collect()))
    }
}

/// The error in an error reply.
fn error_of(reply: Value) -> Option<ServerError> {
    match reply {
        Value::Error(error) => Some(error),
        _ => None,
    }
}
