"""asyncio twin of tests/subprocess.rs: run with `PYENV_VERSION=3.13.0 python3 tests/twins/subprocesses.py`."""
import asyncio, signal
from asyncio.subprocess import PIPE

async def communicate_collects_both_outputs_and_the_exit_code(log):
    p = await asyncio.create_subprocess_exec("sh", "-c", "echo out; echo err >&2; exit 3", stdout=PIPE, stderr=PIPE)
    log.append(f"returncode before {p.returncode}")
    out, err = await p.communicate()
    log.append(f"stdout {out!r} stderr {err!r} returncode {p.returncode}")

async def communicate_feeds_stdin(log):
    p = await asyncio.create_subprocess_exec("cat", stdin=PIPE, stdout=PIPE)
    out, err = await p.communicate(b"x" * 1000000)
    log.append(f"echoed {len(out)} stderr {err} returncode {p.returncode}")

async def stdout_reads_line_by_line(log):
    p = await asyncio.create_subprocess_exec("printf", "a\\nb\\nc", stdout=PIPE)
    for _ in range(4):
        log.append(f"readline {await p.stdout.readline()!r}")
    log.append(f"wait {await p.wait()}")

async def a_terminated_process_reports_minus_the_signal(log):
    p = await asyncio.create_subprocess_exec("sleep", "60")
    p.terminate()
    log.append(f"wait {await p.wait()} returncode {p.returncode}")
    p = await asyncio.create_subprocess_exec("sleep", "60")
    p.kill()
    log.append(f"wait {await p.wait()}")
    p = await asyncio.create_subprocess_exec("sleep", "60")
    p.send_signal(signal.SIGUSR1)
    log.append(f"wait {await p.wait()}")

async def shell(log):
    p = await asyncio.create_subprocess_shell("echo $((6*7))", stdout=PIPE)
    out, _ = await p.communicate()
    log.append(f"shell {out!r}")

async def a_missing_program_fails_to_start(log):
    try:
        await asyncio.create_subprocess_exec("/nonexistent/program")
    except FileNotFoundError:
        log.append("FileNotFoundError")

for scenario in [communicate_collects_both_outputs_and_the_exit_code, communicate_feeds_stdin,
                 stdout_reads_line_by_line, a_terminated_process_reports_minus_the_signal, shell,
                 a_missing_program_fails_to_start]:
    log = []
    asyncio.run(scenario(log))
    print(scenario.__name__)
    for line in log:
        print("   ", line)
