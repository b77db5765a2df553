//! Lists, with LMOVE and its blocking form BLMOVE (a reliable queue: the
//! item moves to a processing list in the same step it leaves the queue).

use std::time::Duration;

use crate::redis::{Connection, Error, FromValue, ToArgs, cmd};

/// An end of a list.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Side {
    /// The head (`LEFT`, where LPUSH adds).
    Left,
    /// The tail (`RIGHT`, where RPUSH adds).
    Right,
}

impl Side {
    /// The word Redis uses.
    fn word(self) -> &'static str {
        match self {
            Side::Left => "LEFT",
            Side::Right => "RIGHT",
        }
    }
}

impl Connection {
    /// `LPUSH key value...`: the list's new length.
    ///
    /// # Errors
    /// As [`Connection::query`]; `WRONGTYPE` if the key holds no list.
    pub async fn lpush(&self, key: impl ToArgs, values: impl ToArgs) -> Result<usize, Error> {
        self.query(&cmd("LPUSH").arg(key).arg(values)).await
    }

    /// `RPUSH key value...`: the list's new length.
    ///
    /// # Errors
    /// As [`Connection::lpush`].
    pub async fn rpush(&self, key: impl ToArgs, values: impl ToArgs) -> Result<usize, Error> {
        self.query(&cmd("RPUSH").arg(key).arg(values)).await
    }

    /// `LPOP key`: the head, or nil.
    ///
    /// # Errors
    /// As [`Connection::lpush`].
    pub async fn lpop<T: FromValue>(&self, key: impl ToArgs) -> Result<T, Error> {
        self.query(&cmd("LPOP").arg(key)).await
    }

    /// `RPOP key`: the tail, or nil.
    ///
    /// # Errors
    /// As [`Connection::lpush`].
    pub async fn rpop<T: FromValue>(&self, key: impl ToArgs) -> Result<T, Error> {
        self.query(&cmd("RPOP").arg(key)).await
    }

    /// `LRANGE key start stop` (inclusive; negative counts from the tail).
    ///
    /// # Errors
    /// As [`Connection::lpush`].
    pub async fn lrange<T: FromValue>(&self, key: impl ToArgs, start: i64, stop: i64) -> Result<T, Error> {
        self.query(&cmd("LRANGE").arg(key).arg(start).arg(stop)).await
    }

    /// `LLEN key`.
    ///
    /// # Errors
    /// As [`Connection::lpush`].
    pub async fn llen(&self, key: impl ToArgs) -> Result<usize, Error> {
        self.query(&cmd("LLEN").arg(key)).await
    }

    /// `LMOVE source destination from to`: the element moved, or nil if
    /// `source` is empty.
    ///
    /// # Errors
    /// As [`Connection::lpush`].
    pub async fn lmove<T: FromValue>(
        &self,
        source: impl ToArgs,
        destination: impl ToArgs,
        from: Side,
        to: Side,
    ) -> Result<T, Error> {
        self.query(&cmd("LMOVE").arg(source).arg(destination).arg(from.word()).arg(to.word())).await
    }

    /// `BLMOVE source destination from to timeout`: as LMOVE, but waits up
    /// to `timeout` (zero: forever) for an element; nil if none came.
    /// Every command sent after it on this connection waits too, so give
    /// it a connection of its own ([`Pool`](crate::redis::Pool)).
    ///
    /// # Errors
    /// As [`Connection::lpush`].
    pub async fn blmove<T: FromValue>(
        &self,
        source: impl ToArgs,
        destination: impl ToArgs,
        from: Side,
        to: Side,
        timeout: Duration,
    ) -> Result<T, Error> {
        let command = cmd("BLMOVE")
            .arg(source)
            .arg(destination)
            .arg(from.word())
            .arg(to.word())
            .arg(format!("{:.3}", timeout.as_secs_f64()));
        self.query_blocking(&command, timeout).await
    }
}
