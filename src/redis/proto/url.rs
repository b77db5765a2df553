//! `redis://[user:pass@]host[:port][/db][?protocol=2|3]` taken apart into a
//! [`ServerAddress`]: where to connect and what to say first.
//!
//! The form is the one redis-py, aioredis and redis-rs accept. `rediss://`
//! is the same with TLS. The user name and password are percent-decoded;
//! a URL with a password only (`redis://:secret@host`) authenticates as
//! the `default` user, as `AUTH secret` does. `protocol=2` skips the
//! `HELLO 3` a client otherwise opens with (for servers or proxies that
//! mishandle it); `protocol=3` makes its refusal an error instead of a fall
//! back to RESP2.

use std::fmt;

/// Which protocol to speak.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Protocol {
    /// Try `HELLO 3`; if the server does not know it, speak RESP2 (the default).
    Auto,
    /// RESP2 only: no HELLO.
    Resp2,
    /// RESP3 or fail.
    Resp3,
}

/// Where a Redis server is and how to greet it.
#[derive(Clone, PartialEq, Eq)]
pub struct ServerAddress {
    /// Host name or IP address (without IPv6 brackets).
    pub host: String,
    /// TCP port; 6379 if the URL named none.
    pub port: u16,
    /// The database SELECTed after connecting; 0 if the URL named none.
    pub db: u32,
    /// The ACL user name, if any.
    pub username: Option<String>,
    /// The password, if any.
    pub password: Option<String>,
    /// `rediss://`: TLS.
    pub tls: bool,
    /// The protocol to speak.
    pub protocol: Protocol,
}

/// The port a URL without one means.
pub const DEFAULT_PORT: u16 = 6379;

impl ServerAddress {
    /// Parses a `redis://` or `rediss://` URL.
    ///
    /// # Errors
    /// A message saying what is wrong with the URL.
    ///
    /// ```
    /// let address = corio::redis::ServerAddress::parse("redis://crawler:s%40cret@10.0.0.5:6380/2").unwrap();
    /// assert_eq!((address.host.as_str(), address.port, address.db), ("10.0.0.5", 6380, 2));
    /// assert_eq!(address.username.as_deref(), Some("crawler"));
    /// assert_eq!(address.password.as_deref(), Some("s@cret"));
    /// assert_eq!(address.to_string(), "redis://crawler:***@10.0.0.5:6380/2");
    /// ```
    pub fn parse(url: &str) -> Result<ServerAddress, String> {
        let (tls, rest) = if let Some(rest) = url.strip_prefix("redis://") {
            (false, rest)
        } else if let Some(rest) = url.strip_prefix("rediss://") {
            (true, rest)
        } else {
            return Err(format!("{url:?} is not a redis:// or rediss:// URL"));
        };
        let (rest, query) = rest.split_once('?').unwrap_or((rest, ""));
        let (authority, path) = rest.split_once('/').unwrap_or((rest, ""));
        let (credentials, host_port) = match authority.rsplit_once('@') {
            Some((credentials, host_port)) => (Some(credentials), host_port),
            None => (None, authority),
        };
        let (username, password) = match credentials {
            None => (None, None),
            Some(credentials) => {
                let (user, password) = match credentials.split_once(':') {
                    Some((user, password)) => (user, Some(password)),
                    None => (credentials, None),
                };
                let user = percent_decode(user)?;
                let password = password.map(percent_decode).transpose()?;
                // `redis://secret@host`, a bare word before `@`, is read as
                // redis-py reads it: a user with no password is not a thing
                // AUTH can send, so the word is the password.
                match password {
                    Some(password) => ((!user.is_empty()).then_some(user), Some(password)),
                    None => (None, (!user.is_empty()).then_some(user)),
                }
            }
        };
        let (host, port) = split_host_port(host_port)?;
        if host.is_empty() {
            return Err(format!("{url:?} names no host"));
        }
        let db = match path.trim_end_matches('/') {
            "" => 0,
            db => db.parse().map_err(|_| format!("the database in {url:?} must be a number, not {db:?}"))?,
        };
        let mut protocol = Protocol::Auto;
        for pair in query.split('&').filter(|pair| !pair.is_empty()) {
            match pair.split_once('=') {
                Some(("protocol", "2")) => protocol = Protocol::Resp2,
                Some(("protocol", "3")) => protocol = Protocol::Resp3,
                _ => return Err(format!("unknown URL option {pair:?} (only protocol=2 or protocol=3)")),
            }
        }
        Ok(ServerAddress { host, port, db, username, password, tls, protocol })
    }
}

/// `host`, `host:port`, `[v6]` or `[v6]:port`.
fn split_host_port(text: &str) -> Result<(String, u16), String> {
    let (host, port) = if let Some(bracketed) = text.strip_prefix('[') {
        let (host, after) = bracketed.split_once(']').ok_or_else(|| format!("unclosed [ in {text:?}"))?;
        (host, after.strip_prefix(':'))
    } else {
        match text.rsplit_once(':') {
            Some((host, port)) => (host, Some(port)),
            None => (text, None),
        }
    };
    let port = match port {
        None => DEFAULT_PORT,
        Some(port) => port.parse().map_err(|_| format!("the port in {text:?} must be a number from 0 to 65535"))?,
    };
    Ok((host.to_owned(), port))
}

/// `%XX` escapes decoded, as UTF-8.
fn percent_decode(text: &str) -> Result<String, String> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut index = 0;
    while index < bytes.len() {
        if bytes[index] == b'%' {
            let hex = bytes.get(index + 1..index + 3).and_then(|hex| std::str::from_utf8(hex).ok());
            let byte = hex.and_then(|hex| u8::from_str_radix(hex, 16).ok());
            out.push(byte.ok_or_else(|| format!("a bad %-escape in {text:?}"))?);
            index += 3;
        } else {
            out.push(bytes[index]);
            index += 1;
        }
    }
    String::from_utf8(out).map_err(|_| format!("{text:?} decodes to bytes that are not UTF-8"))
}

impl fmt::Display for ServerAddress {
    /// The URL again, the password replaced by `***` so it can be logged.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(if self.tls { "rediss://" } else { "redis://" })?;
        match (&self.username, &self.password) {
            (Some(user), Some(_)) => write!(f, "{user}:***@")?,
            (None, Some(_)) => f.write_str(":***@")?,
            (Some(user), None) => write!(f, "{user}@")?,
            (None, None) => {}
        }
        if self.host.contains(':') {
            write!(f, "[{}]", self.host)?
        } else {
            f.write_str(&self.host)?
        }
        write!(f, ":{}", self.port)?;
        if self.db != 0 {
            write!(f, "/{}", self.db)?;
        }
        Ok(())
    }
}

impl fmt::Debug for ServerAddress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ServerAddress({self})")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parsed(url: &str) -> (String, u16, u32, Option<String>, Option<String>, bool) {
        let a = ServerAddress::parse(url).unwrap_or_else(|error| panic!("{url}: {error}"));
        (a.host, a.port, a.db, a.username, a.password, a.tls)
    }

    #[test]
    fn urls_take_apart_as_redis_py_reads_them() {
        let none = None::<String>;
        let some = |s: &str| Some(s.to_owned());
        assert_eq!(parsed("redis://localhost"), ("localhost".into(), 6379, 0, none.clone(), none.clone(), false));
        assert_eq!(
            parsed("redis://127.0.0.1:7000/3"),
            ("127.0.0.1".into(), 7000, 3, none.clone(), none.clone(), false)
        );
        assert_eq!(parsed("redis://:pw@h/"), ("h".into(), 6379, 0, none.clone(), some("pw"), false));
        assert_eq!(parsed("redis://pw@h"), ("h".into(), 6379, 0, none.clone(), some("pw"), false));
        assert_eq!(parsed("redis://u:p%3Aq%40@h:1"), ("h".into(), 1, 0, some("u"), some("p:q@"), false));
        assert_eq!(parsed("rediss://[::1]:6380/1"), ("::1".into(), 6380, 1, none.clone(), none.clone(), true));
        assert_eq!(parsed("redis://[::1]"), ("::1".into(), 6379, 0, none.clone(), none, false));
        assert_eq!(ServerAddress::parse("redis://h?protocol=2").unwrap().protocol, Protocol::Resp2);
        assert_eq!(ServerAddress::parse("redis://h").unwrap().protocol, Protocol::Auto);
    }

    #[test]
    fn bad_urls_say_what_is_wrong() {
        for (url, message) in [
            ("http://h", "\"http://h\" is not a redis:// or rediss:// URL"),
            ("redis://", "\"redis://\" names no host"),
            ("redis://h:port", "the port in \"h:port\" must be a number from 0 to 65535"),
            ("redis://h/zero", "the database in \"redis://h/zero\" must be a number, not \"zero\""),
            ("redis://u:%zz@h", "a bad %-escape in \"%zz\""),
            ("redis://h?db=1", "unknown URL option \"db=1\" (only protocol=2 or protocol=3)"),
        ] {
            assert_eq!(ServerAddress::parse(url).unwrap_err(), message, "{url}");
        }
    }

    #[test]
    fn display_hides_the_password() {
        let address = ServerAddress::parse("redis://:hunter2@[::1]:1/4").unwrap();
        assert_eq!(address.to_string(), "redis://:***@[::1]:1/4");
        assert!(!format!("{address:?}").contains("hunter2"));
    }
}
