//! [`Value`]: one reply from a Redis server, in RESP3's vocabulary.
//!
//! RESP2 has five reply types (simple string, error, integer, bulk string,
//! array, with nil as a bulk or array of length -1); RESP3 adds maps, sets,
//! doubles, booleans, big numbers, verbatim strings, a null of its own and
//! out-of-band pushes. One enum holds both, so the code above the parser
//! never asks which protocol the server speaks: a RESP2 nil and a RESP3
//! null are both [`Value::Nil`], and conversions (`from_value.rs`) accept a
//! map or the flat array RESP2 sends for the same command.

use super::server_error::ServerError;

/// One reply (or one element of an aggregate reply).
///
/// ```
/// use corio::redis::Value;
///
/// let reply = Value::Array(vec![Value::Bulk(b"a".to_vec()), Value::Int(1), Value::Nil]);
/// assert_eq!(reply.to_string(), r#"["a", 1, nil]"#);
/// ```
#[derive(Clone, Debug, PartialEq)]
pub enum Value {
    /// RESP2's nil bulk string and nil array, RESP3's `_` null.
    Nil,
    /// `:` an integer.
    Int(i64),
    /// `$` a bulk string: binary-safe bytes.
    Bulk(Vec<u8>),
    /// `+` a simple status string, such as `OK` or `QUEUED`.
    Simple(String),
    /// `-` or `!` an error reply; inside an aggregate (EXEC's results) it is
    /// one element's outcome, at the top level the caller gets it as an
    /// error.
    Error(ServerError),
    /// `*` an array.
    Array(Vec<Value>),
    /// `%` a RESP3 map, pairs in the order the server sent them.
    Map(Vec<(Value, Value)>),
    /// `~` a RESP3 set.
    Set(Vec<Value>),
    /// `,` a RESP3 double (`inf`, `-inf` and `nan` included).
    Double(f64),
    /// `#` a RESP3 boolean.
    Boolean(bool),
    /// `(` a RESP3 big number, as its decimal digits.
    BigNumber(String),
    /// `=` a RESP3 verbatim string: a three-letter format (`txt`, `mkd`)
    /// and the text.
    Verbatim {
        /// The format, such as `txt`.
        format: String,
        /// The text, the format prefix removed.
        text: Vec<u8>,
    },
    /// `>` a RESP3 push: out-of-band data (a pub/sub message, an
    /// invalidation), not the reply to a command. The first element names
    /// its kind (`message`, `pmessage`, `subscribe`, ...).
    Push(Vec<Value>),
}

impl Value {
    /// A short name for the reply's type, for conversion errors.
    pub fn kind(&self) -> &'static str {
        match self {
            Value::Nil => "nil",
            Value::Int(_) => "integer",
            Value::Bulk(_) => "bulk string",
            Value::Simple(_) => "simple string",
            Value::Error(_) => "error",
            Value::Array(_) => "array",
            Value::Map(_) => "map",
            Value::Set(_) => "set",
            Value::Double(_) => "double",
            Value::Boolean(_) => "boolean",
            Value::BigNumber(_) => "big number",
            Value::Verbatim { .. } => "verbatim string",
            Value::Push(_) => "push",
        }
    }

    /// The bytes of a string-like reply (bulk, simple, verbatim), if it is one.
    pub fn as_bytes(&self) -> Option<&[u8]> {
        match self {
            Value::Bulk(bytes) | Value::Verbatim { text: bytes, .. } => Some(bytes),
            Value::Simple(text) => Some(text.as_bytes()),
            _ => None,
        }
    }
}

impl std::fmt::Display for Value {
    /// A compact, redis-cli-like rendering: strings quoted (lossily as
    /// UTF-8), aggregates in brackets, maps in braces.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        fn list(f: &mut std::fmt::Formatter<'_>, open: &str, items: &[Value], close: &str) -> std::fmt::Result {
            f.write_str(open)?;
            for (index, item) in items.iter().enumerate() {
                if index > 0 {
                    f.write_str(", ")?;
                }
                write!(f, "{item}")?;
            }
            f.write_str(close)
        }
        match self {
            Value::Nil => f.write_str("nil"),
            Value::Int(n) => write!(f, "{n}"),
            Value::Bulk(bytes) | Value::Verbatim { text: bytes, .. } => {
                write!(f, "{:?}", String::from_utf8_lossy(bytes))
            }
            Value::Simple(text) => f.write_str(text),
            Value::Error(error) => write!(f, "(error) {error}"),
            Value::Array(items) => list(f, "[", items, "]"),
            Value::Set(items) => list(f, "set[", items, "]"),
            Value::Push(items) => list(f, "push[", items, "]"),
            Value::Map(pairs) => {
                f.write_str("{")?;
                for (index, (key, value)) in pairs.iter().enumerate() {
                    if index > 0 {
                        f.write_str(", ")?;
                    }
                    write!(f, "{key}: {value}")?;
                }
                f.write_str("}")
            }
            Value::Double(x) => write!(f, "{x}"),
            Value::Boolean(b) => write!(f, "{b}"),
            Value::BigNumber(digits) => f.write_str(digits),
        }
    }
}
