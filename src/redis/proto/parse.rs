//! Parsing replies: bytes in, a [`Value`] or "not yet" out, within
//! [`Limits`].
//!
//! [`parse`] looks at the front of the receive buffer. A whole reply there
//! gives the value and how many bytes it took; a partial one gives
//! `Ok(None)`, never an error, so the caller reads more and tries again
//! (partial input is a status, as in httparse). Bytes that cannot be RESP
//! give a [`ProtocolError`], after which the connection is unusable: there
//! is no way to find the next reply's start in a broken stream.
//!
//! The limits are checked on the *declared* sizes, before a byte of the
//! body has arrived: a server that announces a 4 GiB bulk string or an
//! array of a billion elements is refused at its header, so a hostile or
//! broken server cannot make the client reserve memory it never sends.
//!
//! Shortcut: a partial reply is parsed again from its first byte once more
//! bytes arrive, rather than resuming where it stopped. The client reads
//! everything the socket has before trying again, so this costs little for
//! the replies Redis sends; a resumable parser would be the fix for huge
//! arrays arriving slowly.

use std::fmt;

use super::server_error::ServerError;
use super::value::Value;

/// How much a reply may declare before the parser refuses it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limits {
    /// The longest bulk string, blob error or verbatim string, in bytes
    /// (default 512 MiB, Redis's own `proto-max-bulk-len`).
    pub max_bulk_len: usize,
    /// The most elements one array, set or push may declare; a map counts
    /// its keys and values (default 16 Mi).
    pub max_elements: usize,
    /// How deeply aggregates may nest: `*1\r\n:1\r\n` has depth 1
    /// (default 32; Redis's own replies go no deeper than 7).
    pub max_depth: usize,
    /// The longest simple line (status, error, number) without its CRLF,
    /// in bytes (default 64 KiB).
    pub max_line_len: usize,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits { max_bulk_len: 512 << 20, max_elements: 16 << 20, max_depth: 32, max_line_len: 64 << 10 }
    }
}

/// Bytes from the server that are not a RESP reply, or one over a limit.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum ProtocolError {
    /// A reply began with a byte that names no RESP type.
    UnknownType(u8),
    /// A length, integer, double, boolean or big number did not parse;
    /// `what` says which and `line` is what came (lossily as text).
    BadLine {
        /// What the line should have held, such as "a bulk length".
        what: &'static str,
        /// The line as received.
        line: String,
    },
    /// A bulk string's bytes were not followed by CRLF.
    MissingCrlf,
    /// A simple line (status, error, number) longer than the limit.
    LineTooLong {
        /// [`Limits::max_line_len`].
        limit: usize,
    },
    /// A bulk string, blob error or verbatim string declared a length over
    /// the limit.
    BulkTooLong {
        /// The declared length.
        length: u64,
        /// [`Limits::max_bulk_len`].
        limit: usize,
    },
    /// An aggregate declared more elements than the limit.
    TooManyElements {
        /// The declared count (a map's pairs count twice).
        count: u64,
        /// [`Limits::max_elements`].
        limit: usize,
    },
    /// Aggregates nested deeper than the limit.
    TooDeep {
        /// [`Limits::max_depth`].
        limit: usize,
    },
    /// A verbatim string without its `xxx:` format prefix.
    BadVerbatim,
}

impl fmt::Display for ProtocolError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ProtocolError::UnknownType(byte) => write!(f, "unknown reply type byte {:?}", char::from(*byte)),
            ProtocolError::BadLine { what, line } => write!(f, "expected {what}, got {line:?}"),
            ProtocolError::MissingCrlf => f.write_str("a bulk string not followed by CRLF"),
            ProtocolError::LineTooLong { limit } => write!(f, "a reply line longer than {limit} bytes"),
            ProtocolError::BulkTooLong { length, limit } => {
                write!(f, "a bulk string of {length} bytes, over the limit of {limit}")
            }
            ProtocolError::TooManyElements { count, limit } => {
                write!(f, "an aggregate of {count} elements, over the limit of {limit}")
            }
            ProtocolError::TooDeep { limit } => write!(f, "aggregates nested deeper than {limit}"),
            ProtocolError::BadVerbatim => f.write_str("a verbatim string without its format prefix"),
        }
    }
}

impl std::error::Error for ProtocolError {}

/// Parses the reply at the front of `buf`: `Ok(Some((value, used)))` for a
/// whole one (`used` bytes of `buf`), `Ok(None)` if more bytes are needed.
///
/// A RESP3 attribute (`|`) is read, bounded like any map, and dropped: it
/// decorates the reply that follows it, which is what this returns. No
/// command this client sends asks for attributes.
///
/// # Errors
/// [`ProtocolError`] for bytes that are not RESP or exceed `limits`.
pub(crate) fn parse(buf: &[u8], limits: &Limits) -> Result<Option<(Value, usize)>, ProtocolError> {
    let mut parser = Parser { buf, pos: 0, limits };
    match parser.value(0) {
        Ok(value) => Ok(Some((value, parser.pos))),
        Err(Stop::Incomplete) => Ok(None),
        Err(Stop::Invalid(error)) => Err(error),
    }
}

/// Why parsing stopped short of a value.
enum Stop {
    /// The buffer ends inside the reply.
    Incomplete,
    /// The bytes are not RESP, or over a limit.
    Invalid(ProtocolError),
}

impl From<ProtocolError> for Stop {
    fn from(error: ProtocolError) -> Stop {
        Stop::Invalid(error)
    }
}

/// A cursor over the buffer.
struct Parser<'a> {
    /// The receive buffer, from the reply's first byte.
    buf: &'a [u8],
    /// The next byte to read.
    pos: usize,
    /// The caller's limits.
    limits: &'a Limits,
}

impl Parser<'_> {
    /// One value, nested inside `depth` aggregates.
    fn value(&mut self, depth: usize) -> Result<Value, Stop> {
        let Some(&kind) = self.buf.get(self.pos) else { return Err(Stop::Incomplete) };
        self.pos += 1;
        Ok(match kind {
            b'+' => Value::Simple(String::from_utf8_lossy(self.line()?).into_owned()),
            b'-' => Value::Error(ServerError::new(String::from_utf8_lossy(self.line()?))),
            b':' => Value::Int(self.number("an integer")?),
            b'_' => {
                let line = self.line()?;
                if !line.is_empty() {
                    return Err(bad_line("an empty null", line).into());
                }
                Value::Nil
            }
            b',' => Value::Double(self.double()?),
            b'#' => match self.line()? {
                b"t" => Value::Boolean(true),
                b"f" => Value::Boolean(false),
                line => return Err(bad_line("a boolean t or f", line).into()),
            },
            b'(' => {
                let line = self.line()?;
                let digits = line.strip_prefix(b"-").unwrap_or(line);
                if digits.is_empty() || !digits.iter().all(u8::is_ascii_digit) {
                    return Err(bad_line("a big number", line).into());
                }
                Value::BigNumber(String::from_utf8_lossy(line).into_owned())
            }
            b'$' => match self.blob()? {
                Some(bytes) => Value::Bulk(bytes.to_vec()),
                None => Value::Nil,
            },
            b'!' => match self.blob()? {
                Some(bytes) => Value::Error(ServerError::new(String::from_utf8_lossy(bytes))),
                None => return Err(bad_line("a blob error length", b"-1").into()),
            },
            b'=' => {
                let bytes = self.blob()?.ok_or(ProtocolError::BadVerbatim)?;
                if bytes.len() < 4 || bytes[3] != b':' {
                    return Err(ProtocolError::BadVerbatim.into());
                }
                Value::Verbatim { format: String::from_utf8_lossy(&bytes[..3]).into_owned(), text: bytes[4..].to_vec() }
            }
            b'*' => self.elements(depth, 1)?.map_or(Value::Nil, Value::Array),
            b'~' => Value::Set(self.elements(depth, 1)?.unwrap_or_default()),
            b'>' => Value::Push(self.elements(depth, 1)?.unwrap_or_default()),
            b'%' => Value::Map(pairs(self.elements(depth, 2)?.unwrap_or_default())),
            b'|' => {
                // The attribute map is bounded like any aggregate, then
                // dropped; the reply it decorates follows at the same depth.
                self.elements(depth, 2)?;
                self.value(depth)?
            }
            other => return Err(ProtocolError::UnknownType(other).into()),
        })
    }

    /// The bytes up to the next CRLF, which is consumed.
    fn line(&mut self) -> Result<&[u8], Stop> {
        let rest = &self.buf[self.pos..];
        let Some(end) = rest.iter().position(|&b| b == b'\r') else {
            return Err(if rest.len() > self.limits.max_line_len {
                ProtocolError::LineTooLong { limit: self.limits.max_line_len }.into()
            } else {
                Stop::Incomplete
            });
        };
        if end > self.limits.max_line_len {
            return Err(ProtocolError::LineTooLong { limit: self.limits.max_line_len }.into());
        }
        match rest.get(end + 1) {
            None => Err(Stop::Incomplete),
            Some(b'\n') => {
                self.pos += end + 2;
                Ok(&rest[..end])
            }
            Some(_) => Err(bad_line("a line ending in CRLF", &rest[..end + 2]).into()),
        }
    }

    /// A line holding a decimal integer.
    fn number(&mut self, what: &'static str) -> Result<i64, Stop> {
        let line = self.line()?;
        std::str::from_utf8(line).ok().and_then(|text| text.parse().ok()).ok_or_else(|| bad_line(what, line).into())
    }

    /// A line holding a RESP3 double.
    fn double(&mut self) -> Result<f64, Stop> {
        let line = self.line()?;
        let parsed = match line {
            b"inf" | b"+inf" => Some(f64::INFINITY),
            b"-inf" => Some(f64::NEG_INFINITY),
            b"nan" => Some(f64::NAN),
            // Rust's parser also takes "infinity" and "NaN"; RESP3 spells
            // them as above, and digits are all that is left.
            _ if line.iter().all(|b| b.is_ascii_digit() || b"+-.eE".contains(b)) => {
                std::str::from_utf8(line).ok().and_then(|text| text.parse().ok())
            }
            _ => None,
        };
        parsed.ok_or_else(|| bad_line("a double", line).into())
    }

    /// A length-prefixed body and its CRLF; `None` for length -1 (nil).
    fn blob(&mut self) -> Result<Option<&[u8]>, Stop> {
        let length = self.number("a bulk length")?;
        if length == -1 {
            return Ok(None);
        }
        let length = u64::try_from(length).map_err(|_| bad_line("a bulk length", length.to_string().as_bytes()))?;
        if length > self.limits.max_bulk_len as u64 {
            return Err(ProtocolError::BulkTooLong { length, limit: self.limits.max_bulk_len }.into());
        }
        // Within the limit, so it fits a usize.
        let length = length as usize;
        let rest = &self.buf[self.pos..];
        if rest.len() < length + 2 {
            return Err(Stop::Incomplete);
        }
        if &rest[length..length + 2] != b"\r\n" {
            return Err(ProtocolError::MissingCrlf.into());
        }
        self.pos += length + 2;
        Ok(Some(&rest[..length]))
    }

    /// An aggregate's elements (`per_entry` values each: 2 for a map);
    /// `None` for RESP2's nil array.
    fn elements(&mut self, depth: usize, per_entry: u64) -> Result<Option<Vec<Value>>, Stop> {
        let count = self.number("an aggregate length")?;
        if count == -1 {
            return Ok(None);
        }
        let count = u64::try_from(count).map_err(|_| bad_line("an aggregate length", count.to_string().as_bytes()))?;
        let count = count.saturating_mul(per_entry);
        if count > self.limits.max_elements as u64 {
            return Err(ProtocolError::TooManyElements { count, limit: self.limits.max_elements }.into());
        }
        if depth >= self.limits.max_depth {
            return Err(ProtocolError::TooDeep { limit: self.limits.max_depth }.into());
        }
        // Every element takes at least three bytes (`_\r\n`), so reserve no
        // more than what has arrived could hold: the declared count alone
        // never allocates.
        let room = (self.buf.len() - self.pos) / 3;
        let mut elements = Vec::with_capacity((count as usize).min(room));
        for _ in 0..count {
            elements.push(self.value(depth + 1)?);
        }
        Ok(Some(elements))
    }
}

/// A map's flat list of keys and values as pairs.
fn pairs(flat: Vec<Value>) -> Vec<(Value, Value)> {
    let mut items = flat.into_iter();
    let mut pairs = Vec::with_capacity(items.len() / 2);
    while let (Some(key), Some(value)) = (items.next(), items.next()) {
        pairs.push((key, value));
    }
    pairs
}

/// A [`ProtocolError::BadLine`].
fn bad_line(what: &'static str, line: &[u8]) -> ProtocolError {
    ProtocolError::BadLine { what, line: String::from_utf8_lossy(line).into_owned() }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bulk(text: &str) -> Value {
        Value::Bulk(text.as_bytes().to_vec())
    }

    fn error(text: &str) -> Value {
        Value::Error(ServerError::new(text))
    }

    /// Parses `input` whole, every proper prefix of it, and it with a
    /// second reply behind it, and checks they agree with `expected`: a
    /// prefix is "not yet" (or, for bad input, possibly the error already),
    /// the whole is the value using every byte, the trailing reply is left.
    fn check(input: &[u8], expected: Result<Value, ProtocolError>, limits: &Limits) {
        let name = String::from_utf8_lossy(input);
        for split in 0..input.len() {
            match (parse(&input[..split], limits), &expected) {
                (Ok(None), _) => {}
                (Err(got), Err(wanted)) if got == *wanted => {}
                (got, _) => panic!("{name:?} cut at {split}: {got:?}"),
            }
        }
        let mut followed = input.to_vec();
        followed.extend_from_slice(b"+NEXT\r\n");
        for buffer in [input, &followed[..]] {
            match (parse(buffer, limits), &expected) {
                (Ok(Some((value, used))), Ok(wanted)) => {
                    // NaN is not equal to itself; compare its rendering.
                    assert_eq!(format!("{value:?}"), format!("{wanted:?}"), "{name:?}");
                    assert_eq!(used, input.len(), "{name:?} used");
                }
                (Err(got), Err(wanted)) => assert_eq!(&got, wanted, "{name:?}"),
                (got, _) => panic!("{name:?}: {got:?}, expected {expected:?}"),
            }
        }
    }

    #[test]
    fn resp2_replies_parse_at_every_split() {
        let table: Vec<(&[u8], Value)> = vec![
            (b"+OK\r\n", Value::Simple("OK".into())),
            (b"+\r\n", Value::Simple(String::new())),
            (b"-ERR unknown command 'FOO'\r\n", error("ERR unknown command 'FOO'")),
            (b"-WRONGTYPE Operation against a key\r\n", error("WRONGTYPE Operation against a key")),
            (b":0\r\n", Value::Int(0)),
            (b":-9223372036854775808\r\n", Value::Int(i64::MIN)),
            (b"$5\r\nhello\r\n", bulk("hello")),
            (b"$0\r\n\r\n", bulk("")),
            (b"$4\r\na\r\nb\r\n", bulk("a\r\nb")),
            (b"$-1\r\n", Value::Nil),
            (b"*-1\r\n", Value::Nil),
            (b"*0\r\n", Value::Array(vec![])),
            (b"*3\r\n$3\r\nfoo\r\n:42\r\n$-1\r\n", Value::Array(vec![bulk("foo"), Value::Int(42), Value::Nil])),
            (
                b"*2\r\n*1\r\n+a\r\n*2\r\n-ERR x\r\n*0\r\n",
                Value::Array(vec![
                    Value::Array(vec![Value::Simple("a".into())]),
                    Value::Array(vec![error("ERR x"), Value::Array(vec![])]),
                ]),
            ),
        ];
        for (input, expected) in table {
            check(input, Ok(expected), &Limits::default());
        }
    }

    #[test]
    fn resp3_types_parse_at_every_split() {
        let table: Vec<(&[u8], Value)> = vec![
            (b"_\r\n", Value::Nil),
            (b",3.25\r\n", Value::Double(3.25)),
            (b",-1e3\r\n", Value::Double(-1000.0)),
            (b",inf\r\n", Value::Double(f64::INFINITY)),
            (b",-inf\r\n", Value::Double(f64::NEG_INFINITY)),
            (b",nan\r\n", Value::Double(f64::NAN)),
            (b"#t\r\n", Value::Boolean(true)),
            (b"#f\r\n", Value::Boolean(false)),
            (
                b"(3492890328409238509324850943850943825024385\r\n",
                Value::BigNumber("3492890328409238509324850943850943825024385".into()),
            ),
            (b"(-12\r\n", Value::BigNumber("-12".into())),
            (b"!21\r\nSYNTAX invalid syntax\r\n", error("SYNTAX invalid syntax")),
            (b"=15\r\ntxt:Some string\r\n", Value::Verbatim { format: "txt".into(), text: b"Some string".to_vec() }),
            (
                b"%2\r\n+first\r\n:1\r\n$6\r\nsecond\r\n#f\r\n",
                Value::Map(vec![
                    (Value::Simple("first".into()), Value::Int(1)),
                    (bulk("second"), Value::Boolean(false)),
                ]),
            ),
            (b"%0\r\n", Value::Map(vec![])),
            (b"~3\r\n+a\r\n:1\r\n_\r\n", Value::Set(vec![Value::Simple("a".into()), Value::Int(1), Value::Nil])),
            (
                b">3\r\n$7\r\nmessage\r\n$4\r\nnews\r\n$2\r\nhi\r\n",
                Value::Push(vec![bulk("message"), bulk("news"), bulk("hi")]),
            ),
            // An attribute decorates the reply after it and is dropped.
            (b"|1\r\n+key-popularity\r\n%1\r\n$1\r\na\r\n,0.19\r\n:7\r\n", Value::Int(7)),
            (b"*2\r\n|1\r\n+ttl\r\n:3\r\n$1\r\nx\r\n:2\r\n", Value::Array(vec![bulk("x"), Value::Int(2)])),
        ];
        for (input, expected) in table {
            check(input, Ok(expected), &Limits::default());
        }
    }

    #[test]
    fn malformed_replies_are_typed_errors() {
        let table: Vec<(&[u8], ProtocolError)> = vec![
            (b"?what\r\n", ProtocolError::UnknownType(b'?')),
            (b":12a\r\n", bad_line("an integer", b"12a")),
            (b":\r\n", bad_line("an integer", b"")),
            (b"$x\r\n", bad_line("a bulk length", b"x")),
            (b"$-2\r\n", bad_line("a bulk length", b"-2")),
            (b"*-5\r\n", bad_line("an aggregate length", b"-5")),
            (b"$3\r\nabcd\r\n", ProtocolError::MissingCrlf),
            (b"+OK\rX", bad_line("a line ending in CRLF", b"OK\rX")),
            (b"#x\r\n", bad_line("a boolean t or f", b"x")),
            (b",1.2.x\r\n", bad_line("a double", b"1.2.x")),
            (b",infinity\r\n", bad_line("a double", b"infinity")),
            (b"(12x\r\n", bad_line("a big number", b"12x")),
            (b"_x\r\n", bad_line("an empty null", b"x")),
            (b"=2\r\nab\r\n", ProtocolError::BadVerbatim),
            (b"*2\r\n:1\r\n?\r\n", ProtocolError::UnknownType(b'?')),
        ];
        for (input, expected) in table {
            check(input, Err(expected), &Limits::default());
        }
    }

    #[test]
    fn bulk_strings_at_the_limit_pass_and_past_it_fail_at_the_header() {
        let limits = Limits { max_bulk_len: 4, ..Limits::default() };
        check(b"$4\r\nabcd\r\n", Ok(bulk("abcd")), &limits);
        check(b"!4\r\nERR!\r\n", Ok(error("ERR!")), &limits);
        let over = ProtocolError::BulkTooLong { length: 5, limit: 4 };
        check(b"$5\r\nabcde\r\n", Err(over.clone()), &limits);
        // Refused as soon as the header is in, before any body byte.
        assert_eq!(parse(b"$5\r\n", &limits), Err(over));
        assert_eq!(
            parse(b"$99999999999\r\n", &Limits::default()),
            Err(ProtocolError::BulkTooLong { length: 99_999_999_999, limit: 512 << 20 })
        );
    }

    #[test]
    fn aggregates_past_the_element_limit_fail_at_the_header() {
        let limits = Limits { max_elements: 4, ..Limits::default() };
        check(b"*4\r\n:1\r\n:2\r\n:3\r\n:4\r\n", Ok(Value::Array((1..=4).map(Value::Int).collect())), &limits);
        assert_eq!(parse(b"*5\r\n", &limits), Err(ProtocolError::TooManyElements { count: 5, limit: 4 }));
        // A map's pairs count twice.
        assert_eq!(parse(b"%3\r\n", &limits), Err(ProtocolError::TooManyElements { count: 6, limit: 4 }));
        // Ten million elements announced in 13 bytes, within the limit,
        // reserve only what the bytes that came could hold.
        assert_eq!(parse(b"*10000000\r\n:1\r\n", &Limits::default()).unwrap(), None);
    }

    #[test]
    fn nesting_past_the_depth_limit_fails() {
        let limits = Limits { max_depth: 3, ..Limits::default() };
        let nested = |depth: usize| {
            let mut bytes = b"*1\r\n".repeat(depth);
            bytes.extend_from_slice(b":1\r\n");
            bytes
        };
        let mut three = Value::Int(1);
        for _ in 0..3 {
            three = Value::Array(vec![three]);
        }
        check(&nested(3), Ok(three), &limits);
        check(&nested(4), Err(ProtocolError::TooDeep { limit: 3 }), &limits);
        // Without a limit this would recurse until the stack overflowed.
        assert_eq!(parse(&nested(100_000), &Limits::default()), Err(ProtocolError::TooDeep { limit: 32 }));
    }

    #[test]
    fn a_line_without_its_crlf_is_refused_past_the_line_limit() {
        let limits = Limits { max_line_len: 8, ..Limits::default() };
        check(b"+12345678\r\n", Ok(Value::Simple("12345678".into())), &limits);
        assert_eq!(parse(b"+123456789", &limits), Err(ProtocolError::LineTooLong { limit: 8 }));
        assert_eq!(parse(b"+12345678", &limits), Ok(None));
    }
}
