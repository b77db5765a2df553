"""asyncio's side of tests/future.rs: each scenario prints its event log as
"iteration: label" lines, iterations counted by harness.py.
Run: PYENV_VERSION=3.13.0 python3 tests/asyncio/future.py"""
import asyncio

# Booleans as Rust prints them, so the two logs compare as text.
from harness import log_rust as log, run


async def several_awaiters_and_callbacks():
    fut = asyncio.get_running_loop().create_future()

    async def waiter(name):
        log(f"{name} awaits")
        log(f"{name} got {await fut}")

    a = asyncio.create_task(waiter("A"))
    fut.add_done_callback(lambda f: log(f"callback sees {f.result()}"))
    b = asyncio.create_task(waiter("B"))
    await asyncio.sleep(0)
    await asyncio.sleep(0)
    log("set_result")
    fut.set_result(7)
    log(f"done {fut.done()} result {fut.result()}")
    try:
        fut.set_result(8)
    except asyncio.InvalidStateError:
        log("set again: InvalidStateError")
    log(f"main got {await fut} without yielding")
    await a
    await b
    log("main after awaiters")
    fut.add_done_callback(lambda f: log("late callback"))
    await asyncio.sleep(0)
    log("main after one yield")


async def cancel_reaches_every_awaiter():
    fut = asyncio.get_running_loop().create_future()

    async def waiter(name):
        try:
            await fut
        except asyncio.CancelledError:
            log(f"{name} cancelled")
            raise

    a = asyncio.create_task(waiter("A"))
    b = asyncio.create_task(waiter("B"))
    fut.add_done_callback(lambda f: log(f"callback cancelled {f.cancelled()}"))
    await asyncio.sleep(0)
    log(f"cancel {fut.cancel()}")
    log(f"cancel again {fut.cancel()}")
    await asyncio.sleep(0)
    log(f"A done {a.done()} B done {b.done()}")


async def cancelling_an_awaiting_task_cancels_the_future():
    fut = asyncio.get_running_loop().create_future()

    async def waiter(name):
        try:
            await fut
        except asyncio.CancelledError:
            log(f"{name} cancelled")
            raise

    a = asyncio.create_task(waiter("A"))
    b = asyncio.create_task(waiter("B"))
    fut.add_done_callback(lambda f: log(f"callback cancelled {f.cancelled()}"))
    await asyncio.sleep(0)
    log("cancel A")
    a.cancel()
    log(f"future cancelled {fut.cancelled()}")
    await asyncio.sleep(0)
    log(f"A done {a.done()} B done {b.done()}")
    await asyncio.sleep(0)
    log(f"A done {a.done()} B done {b.done()}")


async def remove_done_callback():
    fut = asyncio.get_running_loop().create_future()
    cb = lambda f: log("removed callback ran")
    fut.add_done_callback(cb)
    fut.add_done_callback(lambda f: log("kept callback ran"))
    log(f"removed {fut.remove_done_callback(cb) == 1}")
    fut.set_result(None)
    await asyncio.sleep(0)
    log("main")


for scenario in [several_awaiters_and_callbacks, cancel_reaches_every_awaiter,
                 cancelling_an_awaiting_task_cancels_the_future, remove_done_callback]:
    print(f"# {scenario.__name__}")
    run(scenario)
