//! Encoding a command: an array of bulk strings, the only form a client
//! sends (RESP2 and RESP3 alike).
//!
//! `SET my-key hello` goes on the wire as
//! `*3\r\n$3\r\nSET\r\n$6\r\nmy-key\r\n$5\r\nhello\r\n`: every argument is
//! length-prefixed, so arguments are binary-safe and nothing needs quoting.

use std::io::Write as _;

/// Appends one command, the arguments given in order, to `out`.
pub(crate) fn command<A: AsRef<[u8]>>(args: &[A], out: &mut Vec<u8>) {
    // Writing into a Vec cannot fail.
    let _ = write!(out, "*{}\r\n", args.len());
    for arg in args {
        let arg = arg.as_ref();
        let _ = write!(out, "${}\r\n", arg.len());
        out.extend_from_slice(arg);
        out.extend_from_slice(b"\r\n");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_command_is_an_array_of_bulk_strings() {
        let mut out = Vec::new();
        command(&["SET", "my-key", "hello"], &mut out);
        assert_eq!(out, b"*3\r\n$3\r\nSET\r\n$6\r\nmy-key\r\n$5\r\nhello\r\n");
    }

    #[test]
    fn arguments_are_binary_safe_and_may_be_empty() {
        let mut out = Vec::new();
        command(&[&b"ECHO"[..], b"a\r\nb\0", b""], &mut out);
        assert_eq!(out, b"*3\r\n$4\r\nECHO\r\n$5\r\na\r\nb\0\r\n$0\r\n\r\n");
    }

    #[test]
    fn commands_append() {
        let mut out = Vec::new();
        command(&["PING"], &mut out);
        command(&["PING"], &mut out);
        assert_eq!(out, b"*1\r\n$4\r\nPING\r\n*1\r\n$4\r\nPING\r\n");
    }
}
