//! Sets and sorted sets.

use crate::redis::from_value::into_pairs;
use crate::redis::{Connection, Error, FromValue, ToArgs, cmd};

impl Connection {
    /// `SADD key member...`: how many were new.
    ///
    /// # Errors
    /// As [`Connection::query`]; `WRONGTYPE` if the key holds no set.
    pub async fn sadd(&self, key: impl ToArgs, members: impl ToArgs) -> Result<usize, Error> {
        self.query(&cmd("SADD").arg(key).arg(members)).await
    }

    /// `SREM key member...`: how many were removed.
    ///
    /// # Errors
    /// As [`Connection::sadd`].
    pub async fn srem(&self, key: impl ToArgs, members: impl ToArgs) -> Result<usize, Error> {
        self.query(&cmd("SREM").arg(key).arg(members)).await
    }

    /// `SMEMBERS key`: convert into a `HashSet`, `BTreeSet` or `Vec`.
    ///
    /// # Errors
    /// As [`Connection::sadd`].
    pub async fn smembers<T: FromValue>(&self, key: impl ToArgs) -> Result<T, Error> {
        self.query(&cmd("SMEMBERS").arg(key)).await
    }

    /// `SISMEMBER key member`.
    ///
    /// # Errors
    /// As [`Connection::sadd`].
    pub async fn sismember(&self, key: impl ToArgs, member: impl ToArgs) -> Result<bool, Error> {
        self.query(&cmd("SISMEMBER").arg(key).arg(member)).await
    }

    /// `SCARD key`: the number of members.
    ///
    /// # Errors
    /// As [`Connection::sadd`].
    pub async fn scard(&self, key: impl ToArgs) -> Result<usize, Error> {
        self.query(&cmd("SCARD").arg(key)).await
    }

    /// `ZADD key score member`: whether the member is new (an existing
    /// one gets the new score).
    ///
    /// # Errors
    /// As [`Connection::query`]; `WRONGTYPE` if the key holds no sorted set.
    pub async fn zadd(&self, key: impl ToArgs, member: impl ToArgs, score: f64) -> Result<bool, Error> {
        self.query(&cmd("ZADD").arg(key).arg(score).arg(member)).await
    }

    /// `ZREM key member...`: how many were removed.
    ///
    /// # Errors
    /// As [`Connection::zadd`].
    pub async fn zrem(&self, key: impl ToArgs, members: impl ToArgs) -> Result<usize, Error> {
        self.query(&cmd("ZREM").arg(key).arg(members)).await
    }

    /// `ZSCORE key member`: `None` if it is not a member.
    ///
    /// # Errors
    /// As [`Connection::zadd`].
    pub async fn zscore(&self, key: impl ToArgs, member: impl ToArgs) -> Result<Option<f64>, Error> {
        self.query(&cmd("ZSCORE").arg(key).arg(member)).await
    }

    /// `ZCARD key`: the number of members.
    ///
    /// # Errors
    /// As [`Connection::zadd`].
    pub async fn zcard(&self, key: impl ToArgs) -> Result<usize, Error> {
        self.query(&cmd("ZCARD").arg(key)).await
    }

    /// `ZRANGE key start stop`: members by rank, lowest score first.
    ///
    /// # Errors
    /// As [`Connection::zadd`].
    pub async fn zrange<T: FromValue>(&self, key: impl ToArgs, start: i64, stop: i64) -> Result<T, Error> {
        self.query(&cmd("ZRANGE").arg(key).arg(start).arg(stop)).await
    }

    /// `ZRANGE key start stop WITHSCORES`: members and scores, lowest
    /// first. RESP2 sends them flat and RESP3 as pairs; both come out as pairs.
    ///
    /// # Errors
    /// As [`Connection::zadd`].
    pub async fn zrange_withscores<T: FromValue>(
        &self,
        key: impl ToArgs,
        start: i64,
        stop: i64,
    ) -> Result<Vec<(T, f64)>, Error> {
        let reply = self.query(&cmd("ZRANGE").arg(key).arg(start).arg(stop).arg("WITHSCORES")).await?;
        into_pairs(reply)?
            .into_iter()
            .map(|(member, score)| Ok((T::from_value(member)?, f64::from_value(score)?)))
            .collect()
    }
}
