//! Hashes: a key holding fields and values.

use crate::redis::{Connection, Error, FromValue, ToArgs, cmd};

impl Connection {
    /// `HSET key field value [field value ...]`, the pairs given as
    /// `(field, value)` tuples or a flat list: how many fields are new.
    ///
    /// # Errors
    /// As [`Connection::query`]; `WRONGTYPE` if the key holds no hash.
    pub async fn hset(&self, key: impl ToArgs, pairs: impl ToArgs) -> Result<usize, Error> {
        self.query(&cmd("HSET").arg(key).arg(pairs)).await
    }

    /// `HGET key field`.
    ///
    /// # Errors
    /// As [`Connection::hset`].
    pub async fn hget<T: FromValue>(&self, key: impl ToArgs, field: impl ToArgs) -> Result<T, Error> {
        self.query(&cmd("HGET").arg(key).arg(field)).await
    }

    /// `HGETALL key`: convert into a `HashMap` or `BTreeMap` (empty for no key).
    ///
    /// # Errors
    /// As [`Connection::hset`].
    pub async fn hgetall<T: FromValue>(&self, key: impl ToArgs) -> Result<T, Error> {
        self.query(&cmd("HGETALL").arg(key)).await
    }

    /// `HDEL key field...`: how many were removed.
    ///
    /// # Errors
    /// As [`Connection::hset`].
    pub async fn hdel(&self, key: impl ToArgs, fields: impl ToArgs) -> Result<usize, Error> {
        self.query(&cmd("HDEL").arg(key).arg(fields)).await
    }

    /// `HINCRBY key field by`: the new value.
    ///
    /// # Errors
    /// As [`Connection::hset`].
    pub async fn hincr_by(&self, key: impl ToArgs, field: impl ToArgs, by: i64) -> Result<i64, Error> {
        self.query(&cmd("HINCRBY").arg(key).arg(field).arg(by)).await
    }

    /// `HLEN key`: the number of fields.
    ///
    /// # Errors
    /// As [`Connection::hset`].
    pub async fn hlen(&self, key: impl ToArgs) -> Result<usize, Error> {
        self.query(&cmd("HLEN").arg(key)).await
    }

    /// `HEXISTS key field`.
    ///
    /// # Errors
    /// As [`Connection::hset`].
    pub async fn hexists(&self, key: impl ToArgs, field: impl ToArgs) -> Result<bool, Error> {
        self.query(&cmd("HEXISTS").arg(key).arg(field)).await
    }
}
