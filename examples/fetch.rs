//! A small curl on `corio::http`: one request, the body to stdout.
//!
//! Run with `cargo run --example fetch -- -i http://127.0.0.1:8080/`.
//!
//! ```text
//! fetch [-X METHOD] [-H 'Name: value']... [-d DATA] [--proxy URL] [--cacert FILE]
//!       [-i] [-L | --max-redirects N] URL
//! ```
//!
//! As with curl, `-d` sends DATA as a form body and implies `POST` unless
//! `-X` names another method, and redirects are followed only with `-L` (up
//! to 10) or `--max-redirects N`. With `-i` the status line and headers of
//! the final response come first. Compressed bodies are decoded (the client
//! asks for gzip), so the headers may say `Content-Encoding: gzip` while the
//! body printed is plain. On failure the error goes to stderr and the exit
//! status is 1; bad arguments print the usage and exit with 2.

use std::io::Write;
use std::process::ExitCode;

use corio::http::{Error, Session};

/// The usage line printed for bad arguments.
const USAGE: &str = "usage: fetch [-X METHOD] [-H 'Name: value']... [-d DATA] [--proxy URL] [--cacert FILE] \
                     [-i] [-L | --max-redirects N] URL";

/// Redirects `-L` follows at most (curl's default is 50; aiohttp's is 10).
const DEFAULT_MAX_REDIRECTS: usize = 10;

/// What the command line asked for.
#[derive(Default)]
struct Options {
    /// `-X`: the method, if given.
    method: Option<String>,
    /// `-H`: extra request headers, in order.
    headers: Vec<(String, String)>,
    /// `-d`: the request body.
    data: Option<String>,
    /// `--proxy`: an HTTP proxy URL.
    proxy: Option<String>,
    /// `--cacert`: a PEM file of extra trusted CA certificates.
    cacert: Option<String>,
    /// `-i`: print the status line and headers before the body.
    include_head: bool,
    /// `-L` / `--max-redirects`: redirects to follow (0 = none, curl's default).
    max_redirects: usize,
    /// The URL to fetch.
    url: String,
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.iter().any(|arg| arg == "-h" || arg == "--help") {
        println!("{USAGE}");
        return ExitCode::SUCCESS;
    }
    let options = match parse_args(args.into_iter()) {
        Ok(options) => options,
        Err(problem) => {
            eprintln!("fetch: {problem}\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    // The loop runs on the real clock; `run` returns the future's result.
    match corio::run(fetch(options)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("fetch: {error}");
            ExitCode::FAILURE
        }
    }
}

/// Turns the arguments into [`Options`], or says what is wrong with them.
fn parse_args(mut args: impl Iterator<Item = String>) -> Result<Options, String> {
    let mut options = Options::default();
    let mut url = None;
    while let Some(arg) = args.next() {
        // Options that take a value read it from the next argument.
        let mut value = |flag: &str| args.next().ok_or_else(|| format!("{flag} needs a value"));
        match arg.as_str() {
            "-X" | "--request" => options.method = Some(value(&arg)?),
            "-H" | "--header" => {
                let header = value(&arg)?;
                let (name, field_value) =
                    header.split_once(':').ok_or_else(|| format!("header {header:?} is not 'Name: value'"))?;
                options.headers.push((name.trim().to_owned(), field_value.trim().to_owned()));
            }
            "-d" | "--data" => options.data = Some(value(&arg)?),
            "--proxy" => options.proxy = Some(value(&arg)?),
            "--cacert" => options.cacert = Some(value(&arg)?),
            "-i" | "--include" => options.include_head = true,
            "-L" | "--location" => options.max_redirects = DEFAULT_MAX_REDIRECTS,
            "--max-redirects" => {
                let count = value(&arg)?;
                options.max_redirects =
                    count.parse().map_err(|_| format!("--max-redirects {count:?} is not a count"))?;
            }
            flag if flag.starts_with('-') && flag.len() > 1 => return Err(format!("unknown option {flag}")),
            _ if url.is_some() => return Err(format!("only one URL, please (got a second: {arg})")),
            _ => url = Some(arg),
        }
    }
    options.url = url.ok_or("no URL given")?;
    Ok(options)
}

/// Sends the request and copies the response to stdout.
async fn fetch(options: Options) -> Result<(), Error> {
    let mut builder = Session::builder().max_redirects(options.max_redirects);
    if let Some(proxy) = &options.proxy {
        builder = builder.proxy(proxy.as_str());
    }
    if let Some(path) = &options.cacert {
        let pem = std::fs::read(path).map_err(|error| Error::InvalidRequest(format!("cannot read {path}: {error}")))?;
        builder = builder.add_root_certificate_pem(&pem);
    }
    let session = builder.build()?;

    // curl's rule: -d means POST unless -X says otherwise.
    let method = match (&options.method, &options.data) {
        (Some(method), _) => method.clone(),
        (None, Some(_)) => "POST".to_owned(),
        (None, None) => "GET".to_owned(),
    };
    let mut request = session.request(&method, options.url.as_str());
    let has_content_type = options.headers.iter().any(|(name, _)| name.eq_ignore_ascii_case("content-type"));
    if options.data.is_some() && !has_content_type {
        request = request.header("Content-Type", "application/x-www-form-urlencoded");
    }
    for (name, value) in &options.headers {
        request = request.header(name.as_str(), value.as_str());
    }
    if let Some(data) = options.data {
        request = request.body(data);
    }
    let mut response = request.await?;

    // Write as the body arrives, so a large download streams through.
    let mut out = std::io::stdout().lock();
    if options.include_head {
        let mut head = format!("{} {} {}\r\n", response.version(), response.status(), response.reason());
        for (name, value) in response.headers().iter() {
            head.push_str(&format!("{name}: {value}\r\n"));
        }
        head.push_str("\r\n");
        out.write_all(head.as_bytes()).map_err(Error::Io)?;
    }
    while let Some(piece) = response.chunk().await? {
        out.write_all(&piece).map_err(Error::Io)?;
    }
    out.flush().map_err(Error::Io)
}
