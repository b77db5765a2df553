//! [`FormData`]: a `multipart/form-data` body (RFC 7578), the encoding an
//! HTML form with a file input sends, built in memory.
//!
//! In the path of a request this is step 1: `RequestBuilder::multipart`
//! turns the form into the body and its `Content-Type` (which carries the
//! boundary) before anything is sent. Each part is the boundary line, a
//! `Content-Disposition: form-data; name="..."` header (with a `filename`
//! for a file, and then its `Content-Type`), a blank line and the value; the
//! last boundary ends with `--`. Names and file names are written as
//! browsers write them (the HTML standard's rule): UTF-8, with `"`, CR and
//! LF percent-encoded, since RFC 7578 gives no other escape that servers
//! agree on.

use std::hash::{BuildHasher, RandomState};

/// A `multipart/form-data` form: aiohttp's `FormData`, reqwest's
/// `multipart::Form`. Parts are sent in the order they were added.
///
/// ```
/// # use std::io::{Read, Write};
/// # let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
/// # let url = format!("http://{}/upload", listener.local_addr().unwrap());
/// # let (seen, received) = std::sync::mpsc::channel();
/// # std::thread::spawn(move || {
/// #     let (mut socket, _) = listener.accept().unwrap();
/// #     let mut request = Vec::new();
/// #     let mut buffer = vec![0; 4096];
/// #     while !String::from_utf8_lossy(&request).ends_with("--\r\n") {
/// #         let n = socket.read(&mut buffer).unwrap_or(0);
/// #         if n == 0 { break; }
/// #         request.extend_from_slice(&buffer[..n]);
/// #     }
/// #     let _ = seen.send(String::from_utf8_lossy(&request).into_owned());
/// #     let _ = socket.write_all(b"HTTP/1.1 204 No Content\r\n\r\n");
/// # });
/// use corio::http::FormData;
/// let form = FormData::new()
///     .text("title", "肖申克的救赎")
///     .file("poster", "p480747492.jpg", "image/jpeg", b"\xff\xd8\xff".to_vec());
/// let boundary = form.boundary().to_owned();
/// corio::run(async move { corio::http::Session::new().post(&url).multipart(form).await.map(drop) }).unwrap();
/// let request = received.recv().unwrap();
/// assert!(request.contains(&format!("\r\nContent-Type: multipart/form-data; boundary={boundary}\r\n")));
/// assert!(request.contains("Content-Disposition: form-data; name=\"title\"\r\n\r\n肖申克的救赎\r\n"));
/// assert!(request.contains("name=\"poster\"; filename=\"p480747492.jpg\"\r\nContent-Type: image/jpeg\r\n"));
/// assert!(request.ends_with(&format!("\r\n--{boundary}--\r\n")));
/// ```
#[doc(alias = "Form")]
#[derive(Clone, Debug)]
pub struct FormData {
    /// The parts, in order.
    parts: Vec<Part>,
    /// Separates the parts; random, so no value is likely to contain it
    /// (and [`into_body`](Self::into_body) makes sure none does).
    boundary: String,
}

/// One field of a form.
#[derive(Clone, Debug)]
struct Part {
    name: String,
    /// For a file: its name and media type.
    file: Option<(String, String)>,
    value: Vec<u8>,
}

impl Default for FormData {
    fn default() -> FormData {
        FormData::new()
    }
}

impl FormData {
    /// An empty form with a fresh random boundary.
    pub fn new() -> FormData {
        FormData { parts: Vec::new(), boundary: random_boundary() }
    }

    /// Adds a text field (an `<input>`'s `name` and value), sent as UTF-8
    /// with no `Content-Type` of its own, as browsers send it.
    pub fn text(mut self, name: impl Into<String>, value: impl Into<String>) -> FormData {
        self.parts.push(Part { name: name.into(), file: None, value: value.into().into_bytes() });
        self
    }

    /// Adds a file field: `content` sent as the file `file_name` of type
    /// `content_type` (`application/octet-stream` when nothing better is
    /// known).
    pub fn file(
        mut self,
        name: impl Into<String>,
        file_name: impl Into<String>,
        content_type: impl Into<String>,
        content: impl Into<Vec<u8>>,
    ) -> FormData {
        let file = Some((file_name.into(), content_type.into()));
        self.parts.push(Part { name: name.into(), file, value: content.into() });
        self
    }

    /// The boundary between the parts, as the `Content-Type` will carry it.
    pub fn boundary(&self) -> &str {
        &self.boundary
    }

    /// The `Content-Type` value and the encoded body. If a value happens to
    /// contain the boundary, a new one is drawn first.
    pub(crate) fn into_body(mut self) -> (String, Vec<u8>) {
        while self.parts.iter().any(|part| contains(&part.value, self.boundary.as_bytes())) {
            self.boundary = random_boundary();
        }
        let mut body = Vec::with_capacity(self.parts.iter().map(|part| part.value.len() + 128).sum());
        for part in &self.parts {
            body.extend_from_slice(format!("--{}\r\n", self.boundary).as_bytes());
            body.extend_from_slice(b"Content-Disposition: form-data; name=\"");
            escape_into(&part.name, &mut body);
            body.push(b'"');
            if let Some((file_name, content_type)) = &part.file {
                body.extend_from_slice(b"; filename=\"");
                escape_into(file_name, &mut body);
                body.extend_from_slice(b"\"\r\nContent-Type: ");
                // A media type cannot hold a line break; one that does is
                // cut there rather than let it add a header of its own.
                body.extend_from_slice(content_type.split(['\r', '\n']).next().unwrap_or("").as_bytes());
            }
            body.extend_from_slice(b"\r\n\r\n");
            body.extend_from_slice(&part.value);
            body.extend_from_slice(b"\r\n");
        }
        body.extend_from_slice(format!("--{}--\r\n", self.boundary).as_bytes());
        (format!("multipart/form-data; boundary={}", self.boundary), body)
    }
}

/// A boundary of 32 random hex digits after a fixed prefix. The randomness
/// is std's per-process hash seed (`RandomState`), which is enough here: a
/// boundary must only not occur in the values, and `into_body` checks that.
fn random_boundary() -> String {
    let state = RandomState::new();
    format!("----corio{:016x}{:016x}", state.hash_one(1u8), state.hash_one(2u8))
}

/// Writes a name as the HTML standard's form encoding does: `"` as `%22`,
/// CR as `%0D`, LF as `%0A`, everything else as UTF-8.
fn escape_into(name: &str, out: &mut Vec<u8>) {
    for byte in name.bytes() {
        match byte {
            b'"' => out.extend_from_slice(b"%22"),
            b'\r' => out.extend_from_slice(b"%0D"),
            b'\n' => out.extend_from_slice(b"%0A"),
            byte => out.push(byte),
        }
    }
}

/// True if `needle` occurs in `haystack`.
fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|window| window == needle)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parts_are_written_as_rfc_7578_and_browsers_write_them() {
        let mut form = FormData::new().text("q", "a b").text("say \"hi\"\r\n", "").file(
            "upload",
            "报告.txt",
            "text/plain",
            b"line 1\r\nline 2".to_vec(),
        );
        form.boundary = "XyZ".to_owned();
        let (content_type, body) = form.into_body();
        assert_eq!(content_type, "multipart/form-data; boundary=XyZ");
        let expected = "--XyZ\r\n\
             Content-Disposition: form-data; name=\"q\"\r\n\r\na b\r\n\
             --XyZ\r\n\
             Content-Disposition: form-data; name=\"say %22hi%22%0D%0A\"\r\n\r\n\r\n\
             --XyZ\r\n\
             Content-Disposition: form-data; name=\"upload\"; filename=\"报告.txt\"\r\n\
             Content-Type: text/plain\r\n\r\nline 1\r\nline 2\r\n\
             --XyZ--\r\n";
        assert_eq!(String::from_utf8(body).unwrap(), expected);
    }

    #[test]
    fn an_empty_form_is_only_the_closing_boundary() {
        let mut form = FormData::new();
        form.boundary = "b".to_owned();
        assert_eq!(form.into_body().1, b"--b--\r\n");
    }

    #[test]
    fn a_value_holding_the_boundary_gets_a_new_one() {
        let mut form = FormData::new().text("a", "--collide--");
        form.boundary = "collide".to_owned();
        let (content_type, body) = form.into_body();
        let boundary = content_type.rsplit('=').next().unwrap().to_owned();
        assert_ne!(boundary, "collide");
        assert!(String::from_utf8(body).unwrap().starts_with(&format!("--{boundary}\r\n")));
    }

    #[test]
    fn boundaries_differ_from_form_to_form() {
        let (a, b) = (FormData::new(), FormData::new());
        assert_ne!(a.boundary(), b.boundary());
        assert_eq!(a.boundary().len(), "----corio".len() + 32);
    }
}
