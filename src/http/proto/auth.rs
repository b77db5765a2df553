//! The values of `Authorization` and `Proxy-Authorization`: HTTP Basic
//! credentials (RFC 7617) and bearer tokens (RFC 6750).
//!
//! In the path of a request these are written once, when a builder is
//! given credentials (`basic_auth`, `bearer_auth`, or `user:password@` in
//! the URL or a proxy's URL); the redirect rules then decide whether the
//! field may follow the request to the next hop (`redirect.rs`).

/// `Basic` followed by the base64 of `user:password`, the text in UTF-8
/// (RFC 7617's `charset="UTF-8"`). A missing password still sends the
/// colon (`user:`), as curl and reqwest do.
pub(crate) fn basic(user: &str, password: Option<&str>) -> String {
    let credentials = format!("{user}:{}", password.unwrap_or(""));
    format!("Basic {}", base64(credentials.as_bytes()))
}

/// `Bearer` followed by `token`, as given; the request's header check
/// refuses a token with CR, LF or NUL in it.
pub(crate) fn bearer(token: &str) -> String {
    format!("Bearer {token}")
}

/// Standard base64 with padding (RFC 4648).
fn base64(input: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut output = String::with_capacity(input.len().div_ceil(3) * 4);
    for group in input.chunks(3) {
        let bytes = [group[0], group.get(1).copied().unwrap_or(0), group.get(2).copied().unwrap_or(0)];
        let bits = u32::from(bytes[0]) << 16 | u32::from(bytes[1]) << 8 | u32::from(bytes[2]);
        for (position, shift) in [18, 12, 6, 0].into_iter().enumerate() {
            if position <= group.len() {
                output.push(char::from(ALPHABET[(bits >> shift & 0x3f) as usize]));
            } else {
                output.push('=');
            }
        }
    }
    output
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_matches_rfc_4648_test_vectors() {
        let vectors =
            [("", ""), ("f", "Zg=="), ("fo", "Zm8="), ("foo", "Zm9v"), ("foob", "Zm9vYg=="), ("fooba", "Zm9vYmE=")];
        for (input, expected) in vectors {
            assert_eq!(base64(input.as_bytes()), expected, "{input:?}");
        }
        assert_eq!(base64(b"foobar"), "Zm9vYmFy");
    }

    #[test]
    fn basic_credentials_are_utf_8_with_the_colon_always_there() {
        // RFC 7617 section 2's example, then its UTF-8 one (section 2.1).
        assert_eq!(basic("Aladdin", Some("open sesame")), "Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ==");
        assert_eq!(basic("test", Some("123\u{a3}")), "Basic dGVzdDoxMjPCow==");
        assert_eq!(basic("ann", None), "Basic YW5uOg==");
        assert_eq!(bearer("t0ken"), "Bearer t0ken");
    }
}
