//! A small curl on `corio::http`: one request, the body to stdout, with
//! curl's options, output and exit statuses.
//!
//! Run with `cargo run --example fetch -- -i http://127.0.0.1:8080/`
//! (`--help` lists the options).
//!
//! As with curl: a URL without a scheme is http; `-d` sends a form body
//! and implies POST (`-d @FILE` reads it, newlines removed); redirects are
//! followed only with `-L` (then `-i` prints every hop's head); a body is
//! asked for compressed only with `--compressed`; `-f` turns a status of
//! 400 or more into exit 22; `-v` prints the request and response heads on
//! stderr (the request head as fetch built it: the library adds Host first
//! and Content-Length last, as shown, and Authorization, which a `* Server
//! auth using Basic with user 'NAME'` line stands for, as in curl); `-w '%{http_code}\n'` prints after
//! the transfer. Failures exit with curl's status (see `exit.rs`) and
//! `fetch: (N) message` on stderr, which `-s` silences. A reader that goes
//! away (`fetch URL | head`) ends fetch quietly.
//!
//! The files: `cli.rs` (the arguments), `transfer.rs` (the request and the
//! output), `write_out.rs` (`-w`), `exit.rs` (curl's exit statuses).

mod cli;
mod exit;
mod transfer;
mod write_out;

use std::io::Write;
use std::process::ExitCode;

use cli::{Command, HELP};
use exit::{BAD_ARGUMENTS, Failure, READ_ERROR};
use write_out::Transfer;

fn main() -> ExitCode {
    let options = match cli::parse(std::env::args_os().skip(1)) {
        Ok(Command::Help) => {
            println!("{HELP}");
            return ExitCode::SUCCESS;
        }
        Ok(Command::Version) => {
            println!("fetch (corio {})", env!("CARGO_PKG_VERSION"));
            return ExitCode::SUCCESS;
        }
        Ok(Command::Fetch(options)) => *options,
        Err(problem) => {
            eprintln!("fetch: {problem}");
            return ExitCode::from(BAD_ARGUMENTS);
        }
    };
    let show_errors = !options.silent || options.show_error;
    let format = match write_out_format(&options) {
        Ok(format) => format,
        Err(failure) => return fail(failure, show_errors),
    };

    // The loop runs on the real clock; `run` returns the future's result.
    let (outcome, transfer) = corio::run(async move {
        let mut transfer = Transfer::default();
        let outcome = transfer::run(&options, &mut transfer).await;
        (outcome, transfer)
    });

    // curl prints -w's line after failures too (then with code 000 if
    // nothing answered), unless the output is gone.
    let reader_gone = matches!(&outcome, Err(Failure { message: None, .. }));
    if let Some(format) = format
        && !reader_gone
    {
        let (line, warnings) = write_out::render(&format, &transfer);
        for warning in warnings {
            eprintln!("fetch: warning: {warning}");
        }
        let mut stdout = std::io::stdout().lock();
        if let Err(error) = stdout.write_all(line.as_bytes()).and_then(|()| stdout.flush()) {
            return fail(transfer::write_failure(error), show_errors);
        }
    }
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(failure) => fail(failure, show_errors),
    }
}

/// `-w`'s format, read from a file for `-w @FILE`.
fn write_out_format(options: &cli::Options) -> Result<Option<String>, Failure> {
    let Some(format) = &options.write_out else { return Ok(None) };
    let Some(path) = format.strip_prefix('@') else { return Ok(Some(format.clone())) };
    std::fs::read_to_string(path)
        .map(Some)
        .map_err(|error| Failure::new(READ_ERROR, format!("cannot read {path}: {error}")))
}

/// Says what failed (unless silenced, or stdout was closed) and exits with
/// its status.
fn fail(failure: Failure, show_errors: bool) -> ExitCode {
    if let Some(message) = &failure.message
        && show_errors
    {
        eprintln!("fetch: ({}) {message}", failure.code);
    }
    ExitCode::from(failure.code)
}
