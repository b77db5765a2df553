//! Child processes on the loop: `communicate` with piped stdin, stdout and
//! stderr, line-by-line reading, exit codes and signals, shell commands, a
//! missing program, and that waiting on a child leaves the loop free.
//!
//! The scenarios are the twins of `tests/twins/subprocesses.py` (run on
//! CPython 3.13 with `PYENV_VERSION=3.13.0 python3 tests/twins/subprocesses.py`)
//! and the expected lines are its output. The children are `sh`, `cat`,
//! `printf` and `sleep`, which every Linux machine has.
//!
//! Each test body runs on its own thread under a time limit, so a lost
//! wakeup fails the test instead of hanging the test binary.

mod common;

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::within;
use corio::subprocess::{create_subprocess_exec, shell_command};

/// Python's `repr` of a bytes object, for the ASCII these tests read.
fn repr(bytes: &[u8]) -> String {
    format!("b'{}'", bytes.escape_ascii())
}

/// Runs the future `body` makes on a fresh loop under a time limit.
fn run<F: std::future::Future<Output = ()> + 'static>(body: impl FnOnce() -> F + Send + 'static) {
    within(Duration::from_secs(30), move || corio::run(body()));
}

#[test]
fn communicate_collects_both_outputs_and_the_exit_code() {
    run(|| async {
        let mut child = create_subprocess_exec(
            Command::new("sh")
                .args(["-c", "echo out; echo err >&2; exit 3"])
                .stdout(Stdio::piped())
                .stderr(Stdio::piped()),
        )
        .await
        .unwrap();
        assert_eq!(child.returncode(), None, "returncode before");
        let (out, err) = child.communicate(None).await.unwrap();
        assert_eq!(
            format!(
                "stdout {} stderr {} returncode {:?}",
                repr(&out.unwrap()),
                repr(&err.unwrap()),
                child.returncode()
            ),
            "stdout b'out\\n' stderr b'err\\n' returncode Some(3)"
        );
    });
}

#[test]
fn communicate_feeds_stdin_while_it_reads_stdout() {
    run(|| async {
        // A megabyte is far more than a pipe holds: `cat` can only take it
        // all if its output is read at the same time.
        let mut child =
            create_subprocess_exec(Command::new("cat").stdin(Stdio::piped()).stdout(Stdio::piped())).await.unwrap();
        let (out, err) = child.communicate(Some(&vec![b'x'; 1_000_000])).await.unwrap();
        assert_eq!((out.map(|out| out.len()), err, child.returncode()), (Some(1_000_000), None, Some(0)));
    });
}

#[test]
fn stdout_reads_line_by_line_and_ends_with_the_unterminated_rest() {
    run(|| async {
        let mut child =
            create_subprocess_exec(Command::new("printf").arg("a\\nb\\nc").stdout(Stdio::piped())).await.unwrap();
        let stdout = child.stdout.as_mut().unwrap();
        let mut lines = Vec::new();
        for _ in 0..4 {
            lines.push(format!("readline {}", repr(&stdout.readline().await.unwrap())));
        }
        lines.push(format!("wait {}", child.wait().await.unwrap()));
        assert_eq!(lines, ["readline b'a\\n'", "readline b'b\\n'", "readline b'c'", "readline b''", "wait 0"]);
    });
}

#[test]
fn a_child_ended_by_a_signal_reports_minus_the_signal() {
    run(|| async {
        let mut codes = Vec::new();
        for (how, signal) in [("terminate", None), ("kill", None), ("send_signal", Some(corio::signal::SIGUSR1))] {
            let mut child = create_subprocess_exec(Command::new("sleep").arg("60")).await.unwrap();
            match (how, signal) {
                ("terminate", _) => child.terminate().unwrap(),
                ("kill", _) => child.kill().unwrap(),
                (_, Some(signal)) => child.send_signal(signal).unwrap(),
                _ => unreachable!(),
            }
            codes.push((child.wait().await.unwrap(), child.returncode()));
        }
        assert_eq!(codes, [(-15, Some(-15)), (-9, Some(-9)), (-10, Some(-10))]);
    });
}

#[test]
fn a_reaped_child_is_not_signalled_again() {
    run(|| async {
        let mut child = create_subprocess_exec(&mut Command::new("true")).await.unwrap();
        assert_eq!(child.wait().await.unwrap(), 0);
        assert_eq!(child.wait().await.unwrap(), 0, "a second wait returns the same code");
        let error = child.terminate().unwrap_err();
        assert_eq!(error.kind(), std::io::ErrorKind::NotFound);
    });
}

#[test]
fn a_shell_command_runs_under_sh() {
    run(|| async {
        let mut command = shell_command("echo $((6*7))");
        let mut child = create_subprocess_exec(command.stdout(Stdio::piped())).await.unwrap();
        assert_eq!(repr(&child.communicate(None).await.unwrap().0.unwrap()), "b'42\\n'");
    });
}

#[test]
fn a_missing_program_fails_to_start() {
    run(|| async {
        let error = create_subprocess_exec(&mut Command::new("/nonexistent/program")).await.unwrap_err();
        assert_eq!(error.kind(), std::io::ErrorKind::NotFound);
    });
}

#[test]
fn waiting_for_a_child_leaves_the_loop_free_for_other_tasks() {
    run(|| async {
        let ticker = corio::create_task(async {
            let mut ticks = 0;
            loop {
                corio::sleep(Duration::from_millis(10)).await;
                ticks += 1;
                if ticks == 5 {
                    return Instant::now();
                }
            }
        });
        let started = Instant::now();
        let mut child = create_subprocess_exec(Command::new("sleep").arg("0.3")).await.unwrap();
        assert_eq!(child.wait().await.unwrap(), 0);
        let ticked_by = ticker.await.unwrap();
        assert!(started.elapsed() >= Duration::from_millis(300));
        assert!(ticked_by.duration_since(started) < Duration::from_millis(300), "ticks ran during the wait");
    });
}

#[test]
fn a_child_can_be_talked_to_line_by_line_through_its_pipes() {
    run(|| async {
        let mut child =
            create_subprocess_exec(Command::new("cat").stdin(Stdio::piped()).stdout(Stdio::piped())).await.unwrap();
        let (stdin, stdout) = (child.stdin.take().unwrap(), child.stdout.as_mut().unwrap());
        for line in [&b"first\n"[..], b"second\n"] {
            stdin.write(line).unwrap();
            stdin.drain().await.unwrap();
            assert_eq!(stdout.readline().await.unwrap(), line, "cat answers each line before the next is sent");
        }
        // Closing stdin is the end of cat's input, so it exits.
        stdin.close();
        stdin.wait_closed().await.unwrap();
        assert!(stdout.readline().await.unwrap().is_empty());
        assert_eq!(child.wait().await.unwrap(), 0);
    });
}
