//! [`Cmd`]: one command as its arguments, and [`ToArgs`], what may be an
//! argument.
//!
//! Every typed method builds a `Cmd` and sends it; `cmd(...)` is the same
//! door for any command the methods do not cover.

use super::proto::encode;
use super::{Connection, Error, FromValue};

/// A command: its name and arguments, each a byte string.
///
/// ```no_run
/// # corio::run(async {
/// let conn = corio::redis::Connection::open("redis://127.0.0.1/").await?;
/// let length: usize = corio::redis::cmd("XLEN").arg("frontier").query(&conn).await?;
/// let _: () = corio::redis::cmd("SET").arg("k").arg(42).arg(["EX", "60"]).query(&conn).await?;
/// # Ok::<(), corio::redis::Error>(())
/// # }).unwrap();
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Cmd {
    /// The name first, then the arguments.
    args: Vec<Vec<u8>>,
}

/// Starts a command named `name` (`"SET"`, `"CLIENT"`, ...).
pub fn cmd(name: &str) -> Cmd {
    Cmd { args: vec![name.as_bytes().to_vec()] }
}

impl Cmd {
    /// Appends `arg`: one argument, or several for a slice, array, `Vec` or
    /// tuple of arguments.
    #[must_use]
    pub fn arg(mut self, arg: impl ToArgs) -> Cmd {
        arg.write_args(&mut self.args);
        self
    }

    /// Appends `arg` in place, for building a command in a loop.
    pub fn push_arg(&mut self, arg: impl ToArgs) -> &mut Cmd {
        arg.write_args(&mut self.args);
        self
    }

    /// The name and arguments so far.
    pub fn args(&self) -> &[Vec<u8>] {
        &self.args
    }

    /// Sends the command on `conn` and converts the reply.
    ///
    /// # Errors
    /// As [`Connection::query`].
    pub async fn query<T: FromValue>(&self, conn: &Connection) -> Result<T, Error> {
        conn.query(self).await
    }

    /// Appends the command's RESP encoding to `out`.
    pub(crate) fn encode(&self, out: &mut Vec<u8>) {
        encode::command(&self.args, out);
    }
}

/// Something that can be one or more command arguments.
#[doc(alias = "ToRedisArgs")]
pub trait ToArgs {
    /// Appends this value's arguments to `out`.
    fn write_args(&self, out: &mut Vec<Vec<u8>>);
}

impl ToArgs for str {
    fn write_args(&self, out: &mut Vec<Vec<u8>>) {
        out.push(self.as_bytes().to_vec());
    }
}

impl ToArgs for String {
    fn write_args(&self, out: &mut Vec<Vec<u8>>) {
        out.push(self.as_bytes().to_vec());
    }
}

impl ToArgs for [u8] {
    fn write_args(&self, out: &mut Vec<Vec<u8>>) {
        out.push(self.to_vec());
    }
}

impl ToArgs for Vec<u8> {
    fn write_args(&self, out: &mut Vec<Vec<u8>>) {
        out.push(self.clone());
    }
}

impl<T: ToArgs + ?Sized> ToArgs for &T {
    fn write_args(&self, out: &mut Vec<Vec<u8>>) {
        (**self).write_args(out);
    }
}

/// Numbers as their decimal digits, which is how Redis reads them.
macro_rules! numbers {
    ($($number:ty),*) => {$(
        impl ToArgs for $number {
            fn write_args(&self, out: &mut Vec<Vec<u8>>) {
                out.push(self.to_string().into_bytes());
            }
        }
    )*};
}
numbers!(i64, i32, i16, u64, u32, u16, usize, isize, f64);

impl<T: ToArgs> ToArgs for [T] {
    fn write_args(&self, out: &mut Vec<Vec<u8>>) {
        for item in self {
            item.write_args(out);
        }
    }
}

impl<T: ToArgs, const N: usize> ToArgs for [T; N] {
    fn write_args(&self, out: &mut Vec<Vec<u8>>) {
        self.as_slice().write_args(out);
    }
}

impl<T: ToArgs> ToArgs for Vec<T> {
    fn write_args(&self, out: &mut Vec<Vec<u8>>) {
        self.as_slice().write_args(out);
    }
}

impl<A: ToArgs, B: ToArgs> ToArgs for (A, B) {
    fn write_args(&self, out: &mut Vec<Vec<u8>>) {
        self.0.write_args(out);
        self.1.write_args(out);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arguments_flatten_in_order() {
        let command = cmd("HSET").arg("movie:1").arg([("name", "x"), ("rank", "1")]).arg(2.5).arg(vec![7u32]);
        let args: Vec<&[u8]> = command.args().iter().map(Vec::as_slice).collect();
        assert_eq!(args, [&b"HSET"[..], b"movie:1", b"name", b"x", b"rank", b"1", b"2.5", b"7"]);
    }
}
