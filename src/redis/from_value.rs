//! [`FromValue`]: replies into Rust values, whichever protocol brought them.
//!
//! A caller names the type it wants (`let n: i64 = conn.query(&cmd).await?`)
//! and the reply converts into it or fails with [`Error::Type`] saying
//! what came instead. The conversions accept every shape Redis uses for
//! the same thing: a number as an integer or as digits in a bulk string, a
//! hash as a RESP3 map or as RESP2's flat array of fields and values, a
//! set as a RESP3 set or an array. So code written against one protocol
//! runs on the other.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::hash::Hash;

use super::{Error, Value};

/// A type a reply can convert into.
///
/// ```
/// use corio::redis::{FromValue, Value};
///
/// let flat = Value::Array(vec![Value::Bulk(b"name".to_vec()), Value::Bulk(b"corio".to_vec())]);
/// let map = Value::Map(vec![(Value::Bulk(b"name".to_vec()), Value::Bulk(b"corio".to_vec()))]);
/// let from_resp2: std::collections::HashMap<String, String> = FromValue::from_value(flat).unwrap();
/// let from_resp3: std::collections::HashMap<String, String> = FromValue::from_value(map).unwrap();
/// assert_eq!(from_resp2, from_resp3);
/// assert_eq!(i64::from_value(Value::Bulk(b"42".to_vec())).unwrap(), 42);
/// assert!(i64::from_value(Value::Bulk(b"forty-two".to_vec())).is_err());
/// ```
#[doc(alias = "FromRedisValue")]
pub trait FromValue: Sized {
    /// Converts `value`, or says why it cannot.
    ///
    /// # Errors
    /// [`Error::Type`] for a reply of another shape; [`Error::Server`] for
    /// an error reply inside an aggregate (one of EXEC's results).
    fn from_value(value: Value) -> Result<Self, Error>;
}

impl FromValue for Value {
    /// The reply as it came, error elements included.
    fn from_value(value: Value) -> Result<Value, Error> {
        Ok(value)
    }
}

impl FromValue for () {
    /// Any reply but an error: for commands whose answer is only `OK`.
    fn from_value(value: Value) -> Result<(), Error> {
        match value {
            Value::Error(error) => Err(Error::Server(error)),
            _ => Ok(()),
        }
    }
}

/// Text or bytes of a string-like reply; numbers as their digits.
fn into_bytes(value: Value, wanted: &str) -> Result<Vec<u8>, Error> {
    match value {
        Value::Bulk(bytes) | Value::Verbatim { text: bytes, .. } => Ok(bytes),
        Value::Simple(text) | Value::BigNumber(text) => Ok(text.into_bytes()),
        Value::Int(n) => Ok(n.to_string().into_bytes()),
        Value::Double(x) => Ok(x.to_string().into_bytes()),
        Value::Error(error) => Err(Error::Server(error)),
        other => Err(Error::type_error(wanted, &other)),
    }
}

impl FromValue for Vec<u8> {
    fn from_value(value: Value) -> Result<Vec<u8>, Error> {
        into_bytes(value, "bytes")
    }
}

impl FromValue for String {
    fn from_value(value: Value) -> Result<String, Error> {
        let bytes = into_bytes(value, "text")?;
        String::from_utf8(bytes).map_err(|error| {
            Error::Type(format!("expected text, got bytes that are not UTF-8: {:?}", error.as_bytes()))
        })
    }
}

/// Integers from an integer reply or from digits in a string.
macro_rules! integers {
    ($($int:ty),*) => {$(
        impl FromValue for $int {
            fn from_value(value: Value) -> Result<$int, Error> {
                let wanted = concat!("an integer (", stringify!($int), ")");
                match value {
                    Value::Int(n) => <$int>::try_from(n).map_err(|_| Error::type_error(wanted, &Value::Int(n))),
                    Value::Error(error) => Err(Error::Server(error)),
                    Value::Bulk(_) | Value::Simple(_) | Value::BigNumber(_) | Value::Verbatim { .. } => {
                        let parsed = value.as_bytes().and_then(|b| std::str::from_utf8(b).ok()).and_then(|t| t.parse().ok());
                        match (parsed, &value) {
                            (Some(n), _) => Ok(n),
                            (None, Value::BigNumber(digits)) => {
                                digits.parse().map_err(|_| Error::type_error(wanted, &value))
                            }
                            (None, _) => Err(Error::type_error(wanted, &value)),
                        }
                    }
                    Value::Boolean(b) => Ok(<$int>::from(b)),
                    other => Err(Error::type_error(wanted, &other)),
                }
            }
        }
    )*};
}
integers!(i64, i32, i16, u64, u32, u16, usize, isize);

impl FromValue for f64 {
    fn from_value(value: Value) -> Result<f64, Error> {
        match value {
            Value::Double(x) => Ok(x),
            Value::Int(n) => Ok(n as f64),
            Value::Error(error) => Err(Error::Server(error)),
            Value::Bulk(_) | Value::Simple(_) | Value::Verbatim { .. } => {
                let text = value.as_bytes().and_then(|b| std::str::from_utf8(b).ok()).unwrap_or_default();
                // Redis writes infinities as "inf" and "-inf" in RESP2 scores.
                match text {
                    "inf" | "+inf" => Ok(f64::INFINITY),
                    "-inf" => Ok(f64::NEG_INFINITY),
                    _ => text.parse().map_err(|_| Error::type_error("a number", &value)),
                }
            }
            other => Err(Error::type_error("a number", &other)),
        }
    }
}

impl FromValue for bool {
    /// A RESP3 boolean, or RESP2's 0 and 1 (as SISMEMBER and EXPIRE answer).
    fn from_value(value: Value) -> Result<bool, Error> {
        match value {
            Value::Boolean(b) => Ok(b),
            Value::Int(n) => Ok(n != 0),
            Value::Simple(text) if text == "OK" => Ok(true),
            Value::Nil => Ok(false),
            Value::Error(error) => Err(Error::Server(error)),
            Value::Bulk(ref bytes) if bytes == b"1" || bytes == b"0" => Ok(bytes == b"1"),
            other => Err(Error::type_error("a boolean", &other)),
        }
    }
}

impl<T: FromValue> FromValue for Option<T> {
    /// `None` for nil; anything else converts to `T`.
    fn from_value(value: Value) -> Result<Option<T>, Error> {
        match value {
            Value::Nil => Ok(None),
            other => T::from_value(other).map(Some),
        }
    }
}

/// The elements of an aggregate (nil is none); a map gives its keys and
/// values in turn, as RESP2 would have sent them.
pub(crate) fn into_items(value: Value, wanted: &str) -> Result<Vec<Value>, Error> {
    match value {
        Value::Array(items) | Value::Set(items) | Value::Push(items) => Ok(items),
        Value::Map(pairs) => Ok(pairs.into_iter().flat_map(|(key, value)| [key, value]).collect()),
        Value::Nil => Ok(Vec::new()),
        Value::Error(error) => Err(Error::Server(error)),
        other => Err(Error::type_error(wanted, &other)),
    }
}

/// Key-value pairs of a map, of a flat array `[k1, v1, k2, v2, ...]`
/// (RESP2's map), or of an array of two-element arrays (RESP3's
/// `ZRANGE ... WITHSCORES`).
pub(crate) fn into_pairs(value: Value) -> Result<Vec<(Value, Value)>, Error> {
    if let Value::Map(pairs) = value {
        return Ok(pairs);
    }
    let items = into_items(value, "a map")?;
    if items.iter().all(|item| matches!(item, Value::Array(pair) if pair.len() == 2)) && !items.is_empty() {
        return Ok(items
            .into_iter()
            .filter_map(|item| match item {
                Value::Array(pair) => {
                    let mut pair = pair.into_iter();
                    Some((pair.next()?, pair.next()?))
                }
                _ => None,
            })
            .collect());
    }
    if items.len() % 2 != 0 {
        return Err(Error::Type(format!("expected a map, got an array of odd length {}", items.len())));
    }
    let mut items = items.into_iter();
    let mut pairs = Vec::with_capacity(items.len() / 2);
    while let (Some(key), Some(value)) = (items.next(), items.next()) {
        pairs.push((key, value));
    }
    Ok(pairs)
}

impl<T: FromValue> FromValue for Vec<T> {
    /// The elements. A RESP3 map gives its keys and values in turn, as
    /// RESP2 sends them, so `Vec<String>` reads HGETALL the same on both
    /// protocols; for pairs, convert into a `HashMap` or `BTreeMap`.
    fn from_value(value: Value) -> Result<Vec<T>, Error> {
        into_items(value, "an array")?.into_iter().map(T::from_value).collect()
    }
}

impl<T: FromValue + Eq + Hash> FromValue for HashSet<T> {
    fn from_value(value: Value) -> Result<HashSet<T>, Error> {
        into_items(value, "a set")?.into_iter().map(T::from_value).collect()
    }
}

impl<T: FromValue + Ord> FromValue for BTreeSet<T> {
    fn from_value(value: Value) -> Result<BTreeSet<T>, Error> {
        into_items(value, "a set")?.into_iter().map(T::from_value).collect()
    }
}

impl<K: FromValue + Eq + Hash, V: FromValue> FromValue for HashMap<K, V> {
    fn from_value(value: Value) -> Result<HashMap<K, V>, Error> {
        into_pairs(value)?.into_iter().map(|(k, v)| Ok((K::from_value(k)?, V::from_value(v)?))).collect()
    }
}

impl<K: FromValue + Ord, V: FromValue> FromValue for BTreeMap<K, V> {
    fn from_value(value: Value) -> Result<BTreeMap<K, V>, Error> {
        into_pairs(value)?.into_iter().map(|(k, v)| Ok((K::from_value(k)?, V::from_value(v)?))).collect()
    }
}

/// Tuples from arrays of exactly their length.
macro_rules! tuples {
    ($($len:literal: ($($name:ident),+)),*) => {$(
        impl<$($name: FromValue),+> FromValue for ($($name,)+) {
            fn from_value(value: Value) -> Result<Self, Error> {
                let items = into_items(value, concat!("an array of ", $len))?;
                if items.len() != $len {
                    return Err(Error::Type(format!("expected an array of {}, got {} elements", $len, items.len())));
                }
                let mut items = items.into_iter();
                // The length was checked just above, so every next() is Some.
                Ok(($($name::from_value(items.next().unwrap_or(Value::Nil))?,)+))
            }
        }
    )*};
}
tuples!(1: (A), 2: (A, B), 3: (A, B, C), 4: (A, B, C, D));

#[cfg(test)]
mod tests {
    use super::*;
    use crate::redis::ServerError;

    fn bulk(text: &str) -> Value {
        Value::Bulk(text.as_bytes().to_vec())
    }

    #[test]
    fn numbers_come_from_integers_and_digits() {
        assert_eq!(u32::from_value(Value::Int(7)).unwrap(), 7);
        assert_eq!(i64::from_value(bulk("-12")).unwrap(), -12);
        assert_eq!(f64::from_value(bulk("2.5")).unwrap(), 2.5);
        assert_eq!(f64::from_value(bulk("-inf")).unwrap(), f64::NEG_INFINITY);
        assert_eq!(f64::from_value(Value::Double(1.25)).unwrap(), 1.25);
        assert_eq!(
            u8_error(u32::from_value(Value::Int(-1))),
            "unexpected redis reply: expected an integer (u32), got integer -1"
        );
        assert_eq!(
            u8_error(i64::from_value(bulk("x"))),
            "unexpected redis reply: expected an integer (i64), got bulk string \"x\""
        );
    }

    fn u8_error<T: std::fmt::Debug>(result: Result<T, Error>) -> String {
        result.unwrap_err().to_string()
    }

    #[test]
    fn nil_is_none_and_an_empty_collection() {
        assert_eq!(Option::<String>::from_value(Value::Nil).unwrap(), None);
        assert_eq!(Option::<String>::from_value(bulk("a")).unwrap(), Some("a".into()));
        assert_eq!(Vec::<String>::from_value(Value::Nil).unwrap(), Vec::<String>::new());
        assert!(String::from_value(Value::Nil).is_err());
    }

    #[test]
    fn maps_come_from_resp3_maps_flat_arrays_and_pair_arrays() {
        let want: BTreeMap<String, f64> = [("a".to_owned(), 1.0), ("b".to_owned(), 2.0)].into();
        let map = Value::Map(vec![(bulk("a"), Value::Double(1.0)), (bulk("b"), Value::Double(2.0))]);
        let flat = Value::Array(vec![bulk("a"), bulk("1"), bulk("b"), bulk("2")]);
        let nested = Value::Array(vec![
            Value::Array(vec![bulk("a"), Value::Double(1.0)]),
            Value::Array(vec![bulk("b"), Value::Double(2.0)]),
        ]);
        for value in [map, flat, nested] {
            assert_eq!(BTreeMap::<String, f64>::from_value(value).unwrap(), want);
        }
        assert!(HashMap::<String, String>::from_value(Value::Array(vec![bulk("a")])).is_err());
    }

    #[test]
    fn sets_come_from_sets_and_arrays() {
        let want: BTreeSet<String> = ["x".to_owned(), "y".to_owned()].into();
        assert_eq!(BTreeSet::from_value(Value::Set(vec![bulk("x"), bulk("y")])).unwrap(), want);
        assert_eq!(BTreeSet::from_value(Value::Array(vec![bulk("y"), bulk("x")])).unwrap(), want);
    }

    #[test]
    fn an_error_element_is_a_server_error() {
        let exec = Value::Array(vec![Value::Int(1), Value::Error(ServerError::new("WRONGTYPE no"))]);
        let error = Vec::<i64>::from_value(exec.clone()).unwrap_err();
        assert_eq!(error.kind(), Some(crate::redis::ServerErrorKind::WrongType));
        // Value keeps it as an element.
        assert_eq!(Value::from_value(exec.clone()).unwrap(), exec);
    }

    #[test]
    fn tuples_need_their_exact_length() {
        assert_eq!(<(String, i64)>::from_value(Value::Array(vec![bulk("a"), Value::Int(1)])).unwrap(), ("a".into(), 1));
        assert!(<(String, i64)>::from_value(Value::Array(vec![bulk("a")])).is_err());
    }

    #[test]
    fn booleans_come_from_resp3_booleans_and_resp2_integers() {
        assert!(bool::from_value(Value::Boolean(true)).unwrap());
        assert!(bool::from_value(Value::Int(1)).unwrap());
        assert!(!bool::from_value(Value::Int(0)).unwrap());
    }
}
