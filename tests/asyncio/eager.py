"""asyncio's side of tests/eager.rs: each scenario prints its event log as
"iteration: label" lines, iterations counted by harness.py.
Run: PYENV_VERSION=3.13.0 python3 tests/asyncio/eager.py"""
import asyncio

import harness
# Booleans as Rust prints them, so the two logs compare as text.
from harness import log_rust as log


def run(main, eager_factory=False):
    async def numbered():
        global base
        # (3.13.0's eager_task_factory names its tasks "None".)
        name = asyncio.current_task().get_name()
        base = int(name.split('-')[1]) if name.startswith('Task-') else 0
        await main()

    harness.run(numbered, asyncio.eager_task_factory if eager_factory else None)


def eager(coro):
    return asyncio.Task(coro, loop=asyncio.get_running_loop(), eager_start=True)


# Task numbers are shown relative to the main task's (main is +0): asyncio
# numbers tasks across every loop in the process, corio within one loop.
base = 0


def num(task):
    return f"+{int(task.get_name().split('-')[1]) - base}"


def me():
    return num(asyncio.current_task())


def names():
    return sorted(num(t) for t in asyncio.all_tasks())


async def a_task_that_finishes_eagerly_is_done_at_once():
    async def child():
        log(f"child runs as {me()}, tasks {names()}")
        asyncio.create_task(grandchild())
        return 5

    async def grandchild():
        log(f"grandchild runs as {me()}")

    log(f"main is {me()}")
    t = eager(child())
    log(f"created {num(t)}: done {t.done()}, current {me()}, tasks {names()}")
    t.add_done_callback(lambda t: log("done-callback"))
    later = asyncio.create_task(grandchild())
    log(f"next task is {num(later)}")
    log(f"awaited {await t} without yielding")
    await asyncio.sleep(0)
    log("main after one yield")


async def a_task_that_suspends_resumes_like_any_other():
    async def child():
        log("child step 1")
        await asyncio.sleep(0)
        log("child step 2")
        await asyncio.sleep(0)
        log("child step 3")

    async def plain():
        log("plain step 1")

    p = asyncio.create_task(plain())
    t = eager(child())
    log(f"created: done {t.done()}")
    await t
    log("main after child")


async def nested_eager_tasks_run_depth_first():
    async def inner():
        log(f"inner runs as {me()}")
        await asyncio.sleep(0)
        log(f"inner resumes as {me()}")

    async def outer():
        log(f"outer runs as {me()}")
        i = eager(inner())
        log(f"outer back as {me()}")
        await i
        log("outer after inner")

    o = eager(outer())
    log(f"main back as {me()}")
    await o


async def the_eager_task_factory_starts_every_task_eagerly():
    async def child(n):
        log(f"child {n} runs")
        await asyncio.sleep(0)
        log(f"child {n} resumes")

    a = asyncio.create_task(child(1))
    log("created 1")
    b = asyncio.create_task(child(2))
    log("created 2")
    await a
    await b
    log("main after children")


for scenario, factory in [(a_task_that_finishes_eagerly_is_done_at_once, False),
                          (a_task_that_suspends_resumes_like_any_other, False),
                          (nested_eager_tasks_run_depth_first, False),
                          (the_eager_task_factory_starts_every_task_eagerly, True)]:
    print(f"# {scenario.__name__}")
    run(scenario, factory)


def from_a_callback():
    # An eager task created by a plain callback: current_task is the task
    # inside its eager step and nothing again afterwards.
    loop = asyncio.new_event_loop()
    harness.install(loop)

    async def child():
        log(f"child is current {asyncio.current_task() is not None}")
        await asyncio.sleep(0)
        log("child resumes")

    tasks = []

    def callback():
        tasks.append(eager(child()))
        log(f"callback sees current {asyncio.current_task()}")

    loop.call_soon(callback)

    async def main():
        await asyncio.sleep(0)
        await asyncio.sleep(0)

    loop.run_until_complete(main())
    loop.close()


print("# an_eager_task_made_by_a_callback_leaves_no_current_task_behind")
from_a_callback()
