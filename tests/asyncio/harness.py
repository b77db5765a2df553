"""Shared by the asyncio twin programs: a log stamped with the loop iteration,
counted the way corio counts them (`LoopHandle::iteration`: 0 during the
first `_run_once`, one more after each)."""
import asyncio

_iteration = 0


def install(loop):
    """Counts `loop`'s iterations from 0, as each corio loop does."""
    global _iteration
    _iteration = 0
    run_once = loop._run_once

    def counted():
        global _iteration
        run_once()
        _iteration += 1

    loop._run_once = counted


def log(label):
    print(f"{_iteration}: {label}")


def log_rust(label):
    """`log` with booleans spelled as Rust prints them (true, false), for the
    twins whose expected log is a string in their Rust test."""
    log(label.replace("True", "true").replace("False", "false"))


def run(main, task_factory=None):
    """asyncio's explicit style: a fresh loop, run_until_complete, close.
    `task_factory` (such as asyncio.eager_task_factory) makes its tasks."""
    loop = asyncio.new_event_loop()
    if task_factory is not None:
        loop.set_task_factory(task_factory)
    install(loop)
    try:
        loop.run_until_complete(main())
    finally:
        loop.close()
