//! Keys and their expiry, strings and counters, and a few server commands.

use std::time::Duration;

use crate::redis::{Connection, Error, FromValue, ToArgs, cmd};

/// SET's options: expiry, condition, and whether to return the old value.
///
/// ```no_run
/// use std::time::Duration;
/// use corio::redis::SetOptions;
/// # corio::run(async {
/// # let conn = corio::redis::Connection::open("redis://127.0.0.1/").await?;
/// // A lease: set only if nobody holds it, gone after 30 s.
/// let taken: bool = conn.set_with("lease", "worker-1", SetOptions::new().nx().px(Duration::from_secs(30))).await?;
/// # Ok::<(), corio::redis::Error>(())
/// # }).unwrap();
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SetOptions {
    /// The arguments after the value, in order.
    args: Vec<&'static str>,
    /// The expiry's number, if any (written after its unit).
    expiry: Option<(&'static str, u128)>,
}

impl SetOptions {
    /// No options: a plain SET.
    pub fn new() -> SetOptions {
        SetOptions::default()
    }

    /// `NX`: only if the key does not exist (the reply is nil otherwise).
    #[must_use]
    pub fn nx(mut self) -> SetOptions {
        self.args.push("NX");
        self
    }

    /// `XX`: only if the key exists.
    #[must_use]
    pub fn xx(mut self) -> SetOptions {
        self.args.push("XX");
        self
    }

    /// `GET`: reply with the old value (nil if there was none).
    #[must_use]
    pub fn get(mut self) -> SetOptions {
        self.args.push("GET");
        self
    }

    /// `KEEPTTL`: keep the key's current time to live.
    #[must_use]
    pub fn keep_ttl(mut self) -> SetOptions {
        self.args.push("KEEPTTL");
        self
    }

    /// `EX seconds`: expire after `ttl`, in whole seconds.
    #[must_use]
    pub fn ex(mut self, ttl: Duration) -> SetOptions {
        self.expiry = Some(("EX", u128::from(ttl.as_secs())));
        self
    }

    /// `PX milliseconds`: expire after `ttl`, in whole milliseconds.
    #[must_use]
    pub fn px(mut self, ttl: Duration) -> SetOptions {
        self.expiry = Some(("PX", ttl.as_millis()));
        self
    }
}

impl Connection {
    /// `PING`: `PONG` if the server is there.
    ///
    /// # Errors
    /// As [`Connection::query`].
    pub async fn ping(&self) -> Result<String, Error> {
        self.query(&cmd("PING")).await
    }

    /// `GET key`: the value, or nil (`None` with `Option<T>`).
    ///
    /// # Errors
    /// As [`Connection::query`]; `WRONGTYPE` if the key holds no string.
    pub async fn get<T: FromValue>(&self, key: impl ToArgs) -> Result<T, Error> {
        self.query(&cmd("GET").arg(key)).await
    }

    /// `SET key value`.
    ///
    /// # Errors
    /// As [`Connection::query`].
    pub async fn set(&self, key: impl ToArgs, value: impl ToArgs) -> Result<(), Error> {
        self.query(&cmd("SET").arg(key).arg(value)).await
    }

    /// `SET key value [NX|XX] [GET] [EX|PX n] [KEEPTTL]`. Convert into
    /// `bool` to learn whether a conditional SET happened, or into
    /// `Option<String>` with [`SetOptions::get`] for the old value.
    ///
    /// # Errors
    /// As [`Connection::query`].
    pub async fn set_with<T: FromValue>(
        &self,
        key: impl ToArgs,
        value: impl ToArgs,
        options: SetOptions,
    ) -> Result<T, Error> {
        let mut command = cmd("SET").arg(key).arg(value).arg(options.args.as_slice());
        if let Some((unit, amount)) = options.expiry {
            command = command.arg(unit).arg(amount.to_string());
        }
        self.query(&command).await
    }

    /// `MGET key...`: one value (or nil) per key.
    ///
    /// # Errors
    /// As [`Connection::query`].
    pub async fn mget<T: FromValue>(&self, keys: impl ToArgs) -> Result<T, Error> {
        self.query(&cmd("MGET").arg(keys)).await
    }

    /// `MSET key value ...`, given as pairs.
    ///
    /// # Errors
    /// As [`Connection::query`].
    pub async fn mset(&self, pairs: impl ToArgs) -> Result<(), Error> {
        self.query(&cmd("MSET").arg(pairs)).await
    }

    /// `INCR key`: the new value.
    ///
    /// # Errors
    /// As [`Connection::query`]; `ERR value is not an integer` for text.
    pub async fn incr(&self, key: impl ToArgs) -> Result<i64, Error> {
        self.query(&cmd("INCR").arg(key)).await
    }

    /// `INCRBY key by`: the new value.
    ///
    /// # Errors
    /// As [`Connection::incr`].
    pub async fn incr_by(&self, key: impl ToArgs, by: i64) -> Result<i64, Error> {
        self.query(&cmd("INCRBY").arg(key).arg(by)).await
    }

    /// `DECR key`: the new value.
    ///
    /// # Errors
    /// As [`Connection::incr`].
    pub async fn decr(&self, key: impl ToArgs) -> Result<i64, Error> {
        self.query(&cmd("DECR").arg(key)).await
    }

    /// `DEL key...`: how many existed.
    ///
    /// # Errors
    /// As [`Connection::query`].
    #[doc(alias = "delete")]
    pub async fn del(&self, keys: impl ToArgs) -> Result<usize, Error> {
        self.query(&cmd("DEL").arg(keys)).await
    }

    /// `EXISTS key...`: how many of them exist.
    ///
    /// # Errors
    /// As [`Connection::query`].
    pub async fn exists(&self, keys: impl ToArgs) -> Result<usize, Error> {
        self.query(&cmd("EXISTS").arg(keys)).await
    }

    /// `PEXPIRE key ms`: whether the key exists (and now expires).
    ///
    /// # Errors
    /// As [`Connection::query`].
    #[doc(alias = "pexpire")]
    pub async fn expire(&self, key: impl ToArgs, ttl: Duration) -> Result<bool, Error> {
        self.query(&cmd("PEXPIRE").arg(key).arg(ttl.as_millis().to_string())).await
    }

    /// `PTTL key`: the time left, `None` for a key without expiry or no key.
    ///
    /// # Errors
    /// As [`Connection::query`].
    #[doc(alias = "pttl")]
    pub async fn ttl(&self, key: impl ToArgs) -> Result<Option<Duration>, Error> {
        let millis: i64 = self.query(&cmd("PTTL").arg(key)).await?;
        Ok(u64::try_from(millis).ok().map(Duration::from_millis))
    }

    /// `PERSIST key`: whether an expiry was removed.
    ///
    /// # Errors
    /// As [`Connection::query`].
    pub async fn persist(&self, key: impl ToArgs) -> Result<bool, Error> {
        self.query(&cmd("PERSIST").arg(key)).await
    }

    /// `TYPE key`: `string`, `hash`, `list`, `set`, `zset`, `stream`, or
    /// `none`.
    ///
    /// # Errors
    /// As [`Connection::query`].
    #[doc(alias = "type")]
    pub async fn key_type(&self, key: impl ToArgs) -> Result<String, Error> {
        self.query(&cmd("TYPE").arg(key)).await
    }

    /// `KEYS pattern`: every matching key. Walks the whole key space; fine
    /// for tests and small databases.
    ///
    /// # Errors
    /// As [`Connection::query`].
    pub async fn keys<T: FromValue>(&self, pattern: &str) -> Result<T, Error> {
        self.query(&cmd("KEYS").arg(pattern)).await
    }

    /// `PUBLISH channel message`: how many subscribers received it.
    ///
    /// # Errors
    /// As [`Connection::query`].
    pub async fn publish(&self, channel: impl ToArgs, message: impl ToArgs) -> Result<usize, Error> {
        self.query(&cmd("PUBLISH").arg(channel).arg(message)).await
    }

    /// `FLUSHDB`: deletes every key of the selected database.
    ///
    /// # Errors
    /// As [`Connection::query`].
    pub async fn flushdb(&self) -> Result<(), Error> {
        self.query(&cmd("FLUSHDB")).await
    }

    /// `WATCH key...`: EXEC on this connection fails (gives nil) if any of
    /// them changes first. Only meaningful on a connection no other task
    /// sends on, such as a [`Pool`](crate::redis::Pool) lease.
    ///
    /// # Errors
    /// As [`Connection::query`].
    pub async fn watch(&self, keys: impl ToArgs) -> Result<(), Error> {
        self.query(&cmd("WATCH").arg(keys)).await
    }

    /// `UNWATCH`.
    ///
    /// # Errors
    /// As [`Connection::query`].
    pub async fn unwatch(&self) -> Result<(), Error> {
        self.query(&cmd("UNWATCH")).await
    }
}
