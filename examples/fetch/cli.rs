//! fetch's command line, curl's spelling: [`parse`] turns the arguments
//! into [`Options`] with lexopt (combined short flags `-iL`, `--opt=value`,
//! `-ofile`), and a mistyped long option gets the nearest real one as a
//! suggestion.

use std::ffi::OsString;
use std::path::PathBuf;
use std::time::Duration;

/// Redirects `-L` follows at most, unless `--max-redirs` says otherwise
/// (curl's default is higher; aiohttp's is 10, and a crawler-sized chain
/// longer than that is a loop).
pub const DEFAULT_MAX_REDIRECTS: usize = 10;

/// The usage text, printed for `--help`.
pub const HELP: &str = "\
usage: fetch [options] URL

A small curl on corio::http: one request, the body to stdout.
A URL without a scheme means http://.

  -X, --request METHOD      the method (default GET, or POST with -d)
  -H, --header 'Name: v'    an extra request header (repeatable)
  -d, --data DATA           a form body; @FILE reads it (newlines removed), @- stdin
      --data-binary DATA    the same, but @FILE is sent byte for byte
  -u, --user USER:PASSWORD  Basic authentication
  -A, --user-agent NAME     the User-Agent header
  -I, --head                send HEAD and print the response head
  -i, --include             print the response head before the body
  -L, --location            follow redirects (with -i, every hop's head)
      --max-redirs N        follow at most N redirects (implies -L)
      --compressed          ask for gzip/deflate and decode the body
  -o, --output FILE         write the body to FILE
  -O, --remote-name         write the body to the URL's last path segment
  -f, --fail                on a status of 400 or more print no body and exit 22
  -s, --silent              print no error messages
  -S, --show-error          with -s, still print error messages
  -v, --verbose             request and response heads on stderr
  -w, --write-out FORMAT    after the transfer, print FORMAT: %{http_code},
                            %{url_effective}, %{num_redirects}, %{size_download},
                            %{time_total}, %{content_type}, \\n; @FILE reads it
  -m, --max-time SECS       give up after SECS in all (exit 28)
      --connect-timeout SECS  give up connecting after SECS (exit 28)
  -x, --proxy URL           send through this HTTP proxy
      --cacert FILE         also trust the CA certificates in this PEM file
  -h, --help                this text
  -V, --version             fetch's version

Exit status as curl's: 0 done, 2 bad arguments, 3 bad URL, 6 host not
resolved, 7 could not connect, 22 HTTP error with -f, 23 could not write
the output, 26 could not read a file, 28 timed out, 35 TLS handshake
failed, 47 too many redirects, 60 certificate not trusted. There is no -k:
corio always verifies certificates (use --cacert).";

/// What the command line asked for.
#[derive(Debug, Default)]
pub struct Options {
    /// `-X`: the method, if given.
    pub method: Option<String>,
    /// `-H`: extra request headers, in order.
    pub headers: Vec<(String, String)>,
    /// `-d` and `--data-binary`: the body pieces, joined with `&` as curl does.
    pub data: Vec<Data>,
    /// `-u`: the user and password for Basic authentication.
    pub user: Option<(String, String)>,
    /// `-A`: the User-Agent.
    pub user_agent: Option<String>,
    /// `-I`: send HEAD and print only the head.
    pub head_only: bool,
    /// `-i`: print the response head (every hop's with `-L`) before the body.
    pub include_head: bool,
    /// Redirects to follow: 0 (curl's default), or as `-L`/`--max-redirs` say.
    pub max_redirects: usize,
    /// `--compressed`: ask for a compressed body and decode it.
    pub compressed: bool,
    /// `-o` or `-O`: where the body goes instead of stdout.
    pub output: Option<Output>,
    /// `-f`: a status of 400 or more is an error (exit 22), its body unprinted.
    pub fail: bool,
    /// `-s`: no error messages (unless `-S`).
    pub silent: bool,
    /// `-S`: error messages even with `-s`.
    pub show_error: bool,
    /// `-v`: heads on stderr.
    pub verbose: bool,
    /// `-w`: the format printed after the transfer.
    pub write_out: Option<String>,
    /// `-m`: the whole request's time limit.
    pub max_time: Option<Duration>,
    /// `--connect-timeout`: the connect phase's time limit.
    pub connect_timeout: Option<Duration>,
    /// `--proxy`: an HTTP proxy URL.
    pub proxy: Option<String>,
    /// `--cacert`: a PEM file of extra trusted CA certificates.
    pub cacert: Option<PathBuf>,
    /// The URL as given (a scheme is added later if it has none).
    pub url: String,
}

/// One `-d` or `--data-binary` argument.
#[derive(Debug, PartialEq, Eq)]
pub enum Data {
    /// Text given on the command line.
    Text(String),
    /// `@FILE` (`-` is stdin); `strip_newlines` for `-d`, not `--data-binary`.
    File { path: String, strip_newlines: bool },
}

/// Where `-o` or `-O` sends the body.
#[derive(Debug, PartialEq, Eq)]
pub enum Output {
    /// `-o FILE`.
    File(PathBuf),
    /// `-O`: the last segment of the URL's path.
    RemoteName,
}

/// What the command line asks fetch to do.
#[derive(Debug)]
pub enum Command {
    /// `--help`.
    Help,
    /// `--version`.
    Version,
    /// Fetch a URL.
    Fetch(Box<Options>),
}

/// Every long option, for suggestions.
const LONG_OPTIONS: &[&str] = &[
    "request",
    "header",
    "data",
    "data-binary",
    "user",
    "user-agent",
    "head",
    "include",
    "location",
    "max-redirs",
    "compressed",
    "output",
    "remote-name",
    "fail",
    "silent",
    "show-error",
    "verbose",
    "write-out",
    "max-time",
    "connect-timeout",
    "proxy",
    "cacert",
    "help",
    "version",
];

/// Turns the arguments (without the program name) into a [`Command`], or a
/// one-line message saying what is wrong with them.
pub fn parse(args: impl IntoIterator<Item = OsString>) -> Result<Command, String> {
    use lexopt::prelude::*;

    let mut parser = lexopt::Parser::from_args(args);
    let mut options = Options::default();
    let mut url = None;
    while let Some(arg) = parser.next().map_err(|error| error.to_string())? {
        match arg {
            Short('h') | Long("help") => return Ok(Command::Help),
            Short('V') | Long("version") => return Ok(Command::Version),
            Short('X') | Long("request") => options.method = Some(text(&mut parser, "-X")?),
            Short('H') | Long("header") => {
                let header = text(&mut parser, "-H")?;
                let (name, value) =
                    header.split_once(':').ok_or_else(|| format!("header {header:?} is not 'Name: value'"))?;
                options.headers.push((name.trim().to_owned(), value.trim().to_owned()));
            }
            Short('d') | Long("data") => options.data.push(data(text(&mut parser, "-d")?, true)),
            Long("data-binary") => options.data.push(data(text(&mut parser, "--data-binary")?, false)),
            Short('u') | Long("user") => {
                let user = text(&mut parser, "-u")?;
                // curl would prompt for a missing password; a tool run from
                // scripts and tests says so instead.
                let (name, password) =
                    user.split_once(':').ok_or("-u needs USER:PASSWORD (fetch does not prompt for a password)")?;
                options.user = Some((name.to_owned(), password.to_owned()));
            }
            Short('A') | Long("user-agent") => options.user_agent = Some(text(&mut parser, "-A")?),
            Short('I') | Long("head") => options.head_only = true,
            Short('i') | Long("include") => options.include_head = true,
            Short('L') | Long("location") => options.max_redirects = options.max_redirects.max(DEFAULT_MAX_REDIRECTS),
            Long("max-redirs") | Long("max-redirects") => {
                let count = text(&mut parser, "--max-redirs")?;
                options.max_redirects = count.parse().map_err(|_| format!("--max-redirs {count:?} is not a count"))?;
            }
            Long("compressed") => options.compressed = true,
            Short('o') | Long("output") => options.output = Some(Output::File(text(&mut parser, "-o")?.into())),
            Short('O') | Long("remote-name") => options.output = Some(Output::RemoteName),
            Short('f') | Long("fail") => options.fail = true,
            Short('s') | Long("silent") => options.silent = true,
            Short('S') | Long("show-error") => options.show_error = true,
            Short('v') | Long("verbose") => options.verbose = true,
            Short('w') | Long("write-out") => options.write_out = Some(text(&mut parser, "-w")?),
            Short('m') | Long("max-time") => options.max_time = Some(seconds(&mut parser, "-m")?),
            Long("connect-timeout") => options.connect_timeout = Some(seconds(&mut parser, "--connect-timeout")?),
            Long("proxy") | Short('x') => options.proxy = Some(text(&mut parser, "--proxy")?),
            Long("cacert") => options.cacert = Some(text(&mut parser, "--cacert")?.into()),
            Short('k') | Long("insecure") => {
                return Err("-k/--insecure is not offered: corio always verifies certificates; \
                            trust a private CA with --cacert FILE"
                    .to_owned());
            }
            Value(value) if url.is_none() => url = Some(value.string().map_err(|error| error.to_string())?),
            Value(value) => return Err(format!("only one URL, please (got a second: {})", value.to_string_lossy())),
            Long(name) => return Err(unknown_long(name)),
            Short(flag) => return Err(format!("unknown option -{flag} (fetch --help lists them)")),
        }
    }
    options.url = url.ok_or("no URL given (fetch --help for usage)")?;
    Ok(Command::Fetch(Box::new(options)))
}

/// The value of the option just read, as UTF-8 text.
fn text(parser: &mut lexopt::Parser, flag: &str) -> Result<String, String> {
    let value = parser.value().map_err(|_| format!("{flag} needs a value"))?;
    value.into_string().map_err(|value| format!("{flag} {value:?} is not UTF-8"))
}

/// A positive number of seconds, fractions allowed (`-m 0.5`).
fn seconds(parser: &mut lexopt::Parser, flag: &str) -> Result<Duration, String> {
    let value = text(parser, flag)?;
    match value.parse::<f64>() {
        Ok(secs) if secs > 0.0 && secs.is_finite() => Ok(Duration::from_secs_f64(secs)),
        _ => Err(format!("{flag} {value:?} is not a positive number of seconds")),
    }
}

/// A `-d`/`--data-binary` argument: `@name` reads a file, as in curl.
fn data(value: String, strip_newlines: bool) -> Data {
    match value.strip_prefix('@') {
        Some(path) => Data::File { path: path.to_owned(), strip_newlines },
        None => Data::Text(value),
    }
}

/// The message for an unknown long option, with the nearest known one when
/// it is close enough to be a typo.
fn unknown_long(name: &str) -> String {
    let nearest = LONG_OPTIONS.iter().map(|known| (edit_distance(name, known), *known)).min();
    match nearest {
        Some((distance, known)) if distance <= 2.max(name.len() / 4) => {
            format!("unknown option --{name}; did you mean --{known}?")
        }
        _ => format!("unknown option --{name} (fetch --help lists them)"),
    }
}

/// Levenshtein distance between two short strings: the fewest one-character
/// insertions, deletions and substitutions that turn `a` into `b`.
fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    // previous[j] is the distance between a's first i-1 characters and b's first j.
    let mut previous: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut current = vec![i + 1];
        for (j, cb) in b.iter().enumerate() {
            let substitute = previous[j] + usize::from(ca != *cb);
            current.push(substitute.min(previous[j + 1] + 1).min(current[j] + 1));
        }
        previous = current;
    }
    previous[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_args(args: &[&str]) -> Result<Command, String> {
        parse(args.iter().map(OsString::from))
    }

    fn options(args: &[&str]) -> Options {
        match parse_args(args) {
            Ok(Command::Fetch(options)) => *options,
            other => panic!("{args:?} gave {other:?}"),
        }
    }

    #[test]
    fn combined_short_flags_and_attached_values_are_read_as_curl_does() {
        let parsed = options(&["-iLsS", "-ofile.html", "--max-time=2.5", "-w", "%{http_code}", "example.com"]);
        assert!(parsed.include_head && parsed.silent && parsed.show_error);
        assert_eq!(parsed.max_redirects, DEFAULT_MAX_REDIRECTS);
        assert_eq!(parsed.output, Some(Output::File("file.html".into())));
        assert_eq!(parsed.max_time, Some(Duration::from_millis(2500)));
        assert_eq!(parsed.write_out.as_deref(), Some("%{http_code}"));
        assert_eq!(parsed.url, "example.com");
    }

    #[test]
    fn data_at_file_names_a_file_and_only_dash_d_strips_newlines() {
        let parsed = options(&["-d", "@body.txt", "--data-binary", "@-", "-d", "a=1", "u"]);
        assert_eq!(
            parsed.data,
            [
                Data::File { path: "body.txt".into(), strip_newlines: true },
                Data::File { path: "-".into(), strip_newlines: false },
                Data::Text("a=1".into()),
            ]
        );
    }

    #[test]
    fn a_mistyped_long_option_gets_a_suggestion() {
        assert_eq!(parse_args(&["--locaton", "u"]).unwrap_err(), "unknown option --locaton; did you mean --location?");
        assert_eq!(
            parse_args(&["--max-time2", "u"]).unwrap_err(),
            "unknown option --max-time2; did you mean --max-time?"
        );
        assert_eq!(
            parse_args(&["--frobnicate", "u"]).unwrap_err(),
            "unknown option --frobnicate (fetch --help lists them)"
        );
    }

    #[test]
    fn bad_values_say_which_option() {
        assert_eq!(parse_args(&["-m", "0", "u"]).unwrap_err(), "-m \"0\" is not a positive number of seconds");
        assert_eq!(
            parse_args(&["-u", "alice", "u"]).unwrap_err(),
            "-u needs USER:PASSWORD (fetch does not prompt for a password)"
        );
        assert_eq!(parse_args(&["-H", "nocolon", "u"]).unwrap_err(), "header \"nocolon\" is not 'Name: value'");
        assert_eq!(parse_args(&["-o"]).unwrap_err(), "-o needs a value");
        assert!(parse_args(&["-k", "u"]).unwrap_err().starts_with("-k/--insecure is not offered"));
        assert_eq!(parse_args(&[]).unwrap_err(), "no URL given (fetch --help for usage)");
    }

    #[test]
    fn edit_distance_counts_single_character_edits() {
        assert_eq!(edit_distance("location", "location"), 0);
        assert_eq!(edit_distance("locaton", "location"), 1);
        assert_eq!(edit_distance("", "abc"), 3);
        assert_eq!(edit_distance("kitten", "sitting"), 3);
    }
}
