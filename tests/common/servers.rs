//! Tests that need a real server program (nginx, redis-server): found on
//! the machine, or reported as ignored with the reason in the test summary.
//!
//! libtest's `#[ignore]` is decided when the test is compiled, so a test
//! that finds its server missing at run time could only pass quietly (its
//! "skipped" notice lost in captured output). A file of such tests is
//! therefore built with `harness = false` and runs its tests through
//! libtest-mimic, which can mark a test ignored while it runs and prints
//! the reason beside it:
//!
//! ```text
//! test static_page_over_http ... ignored (nginx not installed: apt-get install nginx)
//! test result: ok. 0 passed; 0 failed; 9 ignored; 0 measured; 0 filtered out
//! ```
//!
//! With `CORIO_REQUIRE_SERVERS=1` (as `.ci/run` sets after installing the
//! servers) a missing program fails each test instead.
//!
//! To adopt it in a new test file `tests/NAME.rs`:
//! 1. In Cargo.toml: `[[test]] name = "NAME"` with `harness = false`.
//! 2. Write each test as a plain `fn()` that panics on failure, taking the
//!    program's path from [`Program::path`] (or through a start helper
//!    that does).
//! 3. End the file with
//!    `fn main() -> ExitCode { common::servers::run_tests(&REDIS, common::servers::trials![test_a, test_b]) }`.
//!    Filters and flags (`cargo test --test NAME -- some_name --nocapture`)
//!    work as with libtest.

use std::path::PathBuf;
use std::process::ExitCode;

use libtest_mimic::{Arguments, Completion, Failed, Trial};

/// A server program some tests need, and how to get it.
pub struct Program {
    /// The executable's name, looked up on PATH.
    pub name: &'static str,
    /// Where Debian installs it (sbin is often not on a user's PATH).
    pub debian_path: &'static str,
    /// The Debian package that provides it.
    pub package: &'static str,
}

/// nginx, for the HTTP interop tests.
pub const NGINX: Program = Program { name: "nginx", debian_path: "/usr/sbin/nginx", package: "nginx" };

/// redis-server, for the Redis client's tests.
pub const REDIS: Program =
    Program { name: "redis-server", debian_path: "/usr/bin/redis-server", package: "redis-server" };

/// The environment variable that turns a missing program into a failure.
pub const REQUIRE_SERVERS: &str = "CORIO_REQUIRE_SERVERS";

impl Program {
    /// The program's path: Debian's, or the first on PATH; `None` if it is
    /// not installed.
    pub fn find(&self) -> Option<PathBuf> {
        let debian = PathBuf::from(self.debian_path);
        if debian.is_file() {
            return Some(debian);
        }
        let path = std::env::var_os("PATH")?;
        std::env::split_paths(&path).map(|dir| dir.join(self.name)).find(|candidate| candidate.is_file())
    }

    /// The program's path, for a test that runs only when it was found (see
    /// [`run_tests`]).
    ///
    /// # Panics
    /// If it is not installed, with what to install.
    pub fn path(&self) -> PathBuf {
        self.find().unwrap_or_else(|| panic!("{}", self.missing()))
    }

    /// Why the tests that need this program cannot run here.
    fn missing(&self) -> String {
        format!("{} not installed: apt-get install {}", self.name, self.package)
    }
}

/// One test of a `harness = false` file: its name and body.
pub type Test = (&'static str, fn());

/// `[(name, function), ...]` for [`run_tests`], each name the function's.
// Most test files include `common` without running server tests.
#[allow(unused_macros)]
macro_rules! trials {
    ($($test:ident),+ $(,)?) => {
        vec![$((stringify!($test), $test as fn())),+]
    };
}
#[allow(unused_imports)]
pub(crate) use trials;

/// A test that also needs something of the machine it can only learn by
/// trying (being root, creating a network namespace): it returns
/// `Err(reason)` when the machine does not allow it, and is reported
/// ignored with that reason.
pub type MachineTest = (&'static str, fn() -> Result<(), String>);

/// The `main` of a test file whose tests all need `program`: runs them as
/// libtest would (same arguments, output and summary), each reported as
/// ignored with the reason when the program is missing, or failed when it
/// is missing and [`REQUIRE_SERVERS`] is `1`.
pub fn run_tests(program: &'static Program, tests: Vec<Test>) -> ExitCode {
    run_tests_with(program, tests, Vec::new())
}

/// [`run_tests`], with `machine_tests` after the others: each also reported
/// ignored, with its own reason, when it finds the machine does not allow
/// what it needs ([`REQUIRE_SERVERS`] does not change that: it is about
/// installed programs).
pub fn run_tests_with(program: &'static Program, tests: Vec<Test>, machine_tests: Vec<MachineTest>) -> ExitCode {
    let required = std::env::var(REQUIRE_SERVERS).as_deref() == Ok("1");
    let trial = move |name: &'static str, test: Box<dyn FnOnce() -> Result<(), String> + Send>| {
        Trial::ignorable_test(name, move || {
            if program.find().is_none() {
                if required {
                    return Err(Failed::from(format!("{REQUIRE_SERVERS}=1, but {}", program.missing())));
                }
                return Ok(Completion::ignored_with(program.missing()));
            }
            // A panic is the test's failure; libtest-mimic catches it
            // and the panic hook has already printed the message.
            match test() {
                Ok(()) => Ok(Completion::Completed),
                Err(reason) => Ok(Completion::ignored_with(reason)),
            }
        })
    };
    let mut trials: Vec<Trial> = tests
        .into_iter()
        .map(|(name, test)| {
            trial(
                name,
                Box::new(move || {
                    test();
                    Ok(())
                }),
            )
        })
        .collect();
    trials.extend(machine_tests.into_iter().map(|(name, test)| trial(name, Box::new(test))));
    libtest_mimic::run(&Arguments::from_args(), trials).exit_code()
}
