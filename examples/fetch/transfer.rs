//! One transfer: build the session and request from [`Options`], send it,
//! print the heads (`-i`, `-I`, `-v`) and stream the body to stdout or a
//! file, filling in the [`Transfer`] that `-w` reports.

use std::fs::File;
use std::io::{self, Read, Write};
use std::time::Instant;

use corio::http::{DEFAULT_USER_AGENT, Error, Response, Session, Url};

use crate::cli::{Data, Options, Output};
use crate::exit::{BAD_ARGUMENTS, Failure, HTTP_ERROR, READ_ERROR, WRITE_ERROR};
use crate::write_out::Transfer;

/// Runs the transfer `options` describe; `transfer` is filled in as far as
/// it got, for `-w`, whether it succeeds or not.
pub async fn run(options: &Options, transfer: &mut Transfer) -> Result<(), Failure> {
    let started = Instant::now();
    let url = Url::parse(&with_scheme(&options.url)).map_err(Error::Url)?;
    let session = session(options)?;
    let body = request_body(&options.data)?;

    // curl's rules: -I is HEAD, -d is POST, unless -X names the method.
    let method = match (&options.method, options.head_only, &body) {
        (Some(method), _, _) => method.clone(),
        (None, true, _) => "HEAD".to_owned(),
        (None, false, Some(_)) => "POST".to_owned(),
        (None, false, None) => "GET".to_owned(),
    };
    let headers = request_headers(options, body.is_some());
    let auth_user = basic_auth_user(options, &url);

    if options.verbose {
        // The library writes `Authorization` itself, so the head below
        // lacks it; curl's line names the user, never the password.
        if let Some(user) = auth_user {
            let _ = writeln!(io::stderr(), "* Server auth using Basic with user '{user}'");
        }
        let mut head = format!("> {method} {} HTTP/1.1\n> Host: {}\n", url.path_and_query(), url.authority());
        for (name, value) in &headers {
            head.push_str(&format!("> {name}: {value}\n"));
        }
        if let Some(body) = &body {
            head.push_str(&format!("> Content-Length: {}\n", body.len()));
        }
        head.push_str(">\n");
        let _ = io::stderr().write_all(head.as_bytes());
    }

    // The library sends credentials in the URL (`http://user:pw@host/`) as
    // Basic auth by itself, unless the request has an `Authorization` of
    // its own: `-u`'s, or a `-H` one. Whichever goes, it is dropped when a
    // redirect leaves the URL's origin, as curl does.
    let mut request = session.request(&method, &url);
    if auth_user.is_some()
        && let Some((user, password)) = &options.user
    {
        request = request.basic_auth(user, Some(password));
    }
    for (name, value) in &headers {
        request = request.header(name, value);
    }
    if let Some(body) = body {
        request = request.body(body);
    }
    let mut response = request.await?;
    transfer.http_code = status_code(&response);
    transfer.url_effective = response.url().to_string();
    transfer.num_redirects = response.history().len();
    transfer.content_type = response.headers().get("content-type").map(str::to_owned);

    // Every hop's head: on stderr for -v, and with -i or -I in the output,
    // where curl puts them (the redirects first, when -L followed them).
    let mut output = open_output(options, &url)?;
    for hop in response.history().iter().chain([&response]) {
        if options.verbose {
            let _ = io::stderr().write_all(head_lines(hop, "< ").as_bytes());
            if !std::ptr::eq(hop, &response) {
                let location = hop.headers().get("location").unwrap_or("");
                let _ = writeln!(io::stderr(), "* following the redirect to {location}");
            }
        }
    }
    if options.fail && transfer.http_code >= 400 {
        let reason = response.reason();
        return Err(Failure::new(
            HTTP_ERROR,
            format!("the requested URL returned error: {} {reason}", transfer.http_code).trim_end().to_owned(),
        ));
    }
    if options.include_head || options.head_only {
        for hop in response.history().iter().chain([&response]) {
            write(&mut output, head_lines(hop, "").replace('\n', "\r\n").as_bytes())?;
        }
    }

    // Write as the body arrives, so a large download streams through.
    while let Some(piece) = response.chunk().await? {
        write(&mut output, &piece)?;
        transfer.size_download += piece.len() as u64;
    }
    output.flush().map_err(write_failure)?;
    transfer.time_total = started.elapsed();
    Ok(())
}

/// The URL with `http://` in front if it names no scheme, as curl reads
/// `example.com/x`.
pub fn with_scheme(url: &str) -> String {
    if url.contains("://") { url.to_owned() } else { format!("http://{url}") }
}

/// The status of a response as a number (one place to change if the
/// library's status type changes).
fn status_code(response: &Response) -> u16 {
    response.status().as_u16()
}

/// The session: redirects, decompression, timeouts, proxy, extra CA.
fn session(options: &Options) -> Result<Session, Failure> {
    // Like curl, ask for a compressed body only with --compressed; then
    // the client decodes it.
    let mut builder = Session::builder().max_redirects(options.max_redirects).decompress(options.compressed);
    if options.max_time.is_some() {
        builder = builder.timeout(options.max_time);
    }
    if options.connect_timeout.is_some() {
        builder = builder.connect_timeout(options.connect_timeout);
    }
    if let Some(proxy) = &options.proxy {
        builder = builder.proxy(proxy.as_str());
    }
    if let Some(path) = &options.cacert {
        let pem = std::fs::read(path)
            .map_err(|error| Failure::new(READ_ERROR, format!("cannot read {}: {error}", path.display())))?;
        builder = builder.add_root_certificate_pem(&pem);
    }
    Ok(builder.build()?)
}

/// Whose credentials go out as Basic auth: `-u`'s, else the URL's; none
/// when `-H` sets `Authorization`, which replaces both, as in curl.
fn basic_auth_user<'a>(options: &'a Options, url: &'a Url) -> Option<&'a str> {
    if options.headers.iter().any(|(name, _)| name.eq_ignore_ascii_case("authorization")) {
        return None;
    }
    match &options.user {
        Some((user, _)) => Some(user),
        None => url.has_credentials().then(|| url.username()),
    }
}

/// The headers fetch sends besides Host, Authorization and Content-Length
/// (which the library writes), in order: the session's defaults as fetch
/// sets them, `-H`, and the form type for `-d`. A `-H` of the same name
/// replaces a default.
fn request_headers(options: &Options, has_body: bool) -> Vec<(String, String)> {
    let given = |name: &str| options.headers.iter().any(|(given, _)| given.eq_ignore_ascii_case(name));
    let mut headers = Vec::new();
    let mut default = |name: &str, value: String| {
        if !given(name) {
            headers.push((name.to_owned(), value));
        }
    };
    default("User-Agent", options.user_agent.clone().unwrap_or_else(|| DEFAULT_USER_AGENT.to_owned()));
    default("Accept", "*/*".to_owned());
    if options.compressed {
        default("Accept-Encoding", "gzip, deflate".to_owned());
    }
    if has_body {
        default("Content-Type", "application/x-www-form-urlencoded".to_owned());
    }
    headers.extend(options.headers.iter().cloned());
    headers
}

/// The request body from the `-d`/`--data-binary` pieces, joined with `&`
/// as curl joins them; `None` if there are none.
fn request_body(data: &[Data]) -> Result<Option<Vec<u8>>, Failure> {
    if data.is_empty() {
        return Ok(None);
    }
    let mut body = Vec::new();
    for (index, piece) in data.iter().enumerate() {
        if index > 0 {
            body.push(b'&');
        }
        match piece {
            Data::Text(text) => body.extend_from_slice(text.as_bytes()),
            Data::File { path, strip_newlines } => {
                let mut bytes = Vec::new();
                let read = if path == "-" {
                    io::stdin().read_to_end(&mut bytes)
                } else {
                    File::open(path).and_then(|mut file| file.read_to_end(&mut bytes))
                };
                read.map_err(|error| Failure::new(READ_ERROR, format!("cannot read {path}: {error}")))?;
                // curl's -d @file drops carriage returns and newlines, so a
                // file ending in a newline posts the same as the text.
                if *strip_newlines {
                    bytes.retain(|byte| *byte != b'\n' && *byte != b'\r');
                }
                body.extend_from_slice(&bytes);
            }
        }
    }
    Ok(Some(body))
}

/// A response head as curl prints it: the status line, the fields, a blank
/// line, each line after `prefix` and ending in `\n`.
fn head_lines(response: &Response, prefix: &str) -> String {
    let mut head = format!("{prefix}{} {} {}", response.version(), status_code(response), response.reason());
    head = head.trim_end().to_owned();
    head.push('\n');
    for (name, value) in response.headers().iter() {
        head.push_str(&format!("{prefix}{name}: {value}\n"));
    }
    head.push_str(prefix.trim_end());
    head.push('\n');
    head
}

/// Where the body goes: stdout, `-o FILE`, or for `-O` the URL's last path
/// segment in the current directory.
fn open_output(options: &Options, url: &Url) -> Result<Box<dyn Write>, Failure> {
    let path = match &options.output {
        None => return Ok(Box::new(io::stdout().lock())),
        Some(Output::File(path)) => path.clone(),
        Some(Output::RemoteName) => {
            let name = url.path().rsplit('/').next().unwrap_or("");
            if name.is_empty() || name == "." || name == ".." {
                return Err(Failure::new(BAD_ARGUMENTS, format!("-O: {url} has no file name to save as")));
            }
            name.into()
        }
    };
    let file = File::create(&path)
        .map_err(|error| Failure::new(WRITE_ERROR, format!("cannot write {}: {error}", path.display())))?;
    Ok(Box::new(io::BufWriter::new(file)))
}

/// Writes to the output; a closed stdout ends the run quietly.
fn write(output: &mut dyn Write, bytes: &[u8]) -> Result<(), Failure> {
    output.write_all(bytes).map_err(write_failure)
}

/// The failure for an output error: quiet for a reader that went away
/// (`fetch URL | head`), curl's 23 with the error otherwise.
pub fn write_failure(error: io::Error) -> Failure {
    if error.kind() == io::ErrorKind::BrokenPipe {
        Failure { code: WRITE_ERROR, message: None }
    } else {
        Failure::new(WRITE_ERROR, format!("cannot write the output: {error}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_url_without_a_scheme_is_http() {
        assert_eq!(with_scheme("example.com/x"), "http://example.com/x");
        assert_eq!(with_scheme("127.0.0.1:8080"), "http://127.0.0.1:8080");
        assert_eq!(with_scheme("https://example.com/"), "https://example.com/");
    }
}
