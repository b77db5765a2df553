"""asyncio's side of tests/task_group.rs: each scenario prints its event log
as "iteration: label" lines, iterations counted by harness.py.
Run: PYENV_VERSION=3.13.0 python3 tests/asyncio/task_group.py"""
import asyncio

# Booleans as Rust prints them, so the two logs compare as text.
from harness import log_rust as log, run


async def child(name, steps, fail=False):
    try:
        log(f"{name} starts")
        for _ in range(steps):
            await asyncio.sleep(0)
        if fail:
            log(f"{name} fails")
            raise RuntimeError(f"{name} failed")
        log(f"{name} ends")
        return name
    except asyncio.CancelledError:
        log(f"{name} cancelled")
        raise


def report(eg):
    return ", ".join(str(e) for e in eg.exceptions)


async def the_group_waits_for_every_child():
    async with asyncio.TaskGroup() as tg:
        a = tg.create_task(child("A", 1))
        b = tg.create_task(child("B", 3))
        log("body ends")
    log(f"group done: {a.result()} {b.result()}")


async def the_body_can_outlast_its_children():
    async with asyncio.TaskGroup() as tg:
        tg.create_task(child("A", 0))
        await asyncio.sleep(0)
        await asyncio.sleep(0)
        await asyncio.sleep(0)
        log("body ends")
    log("group done")


async def the_first_failure_cancels_the_siblings_and_the_body():
    try:
        async with asyncio.TaskGroup() as tg:
            tg.create_task(child("A", 1, fail=True))
            tg.create_task(child("B", 5))
            try:
                for _ in range(5):
                    await asyncio.sleep(0)
                log("body ends")
            except asyncio.CancelledError:
                log("body cancelled")
                raise
    except ExceptionGroup as eg:
        log(f"group failed: {report(eg)}")


async def failures_in_one_iteration_are_all_collected():
    try:
        async with asyncio.TaskGroup() as tg:
            tg.create_task(child("A", 1, fail=True))
            tg.create_task(child("B", 1, fail=True))
            tg.create_task(child("C", 3))
            log("body ends")
    except ExceptionGroup as eg:
        log(f"group failed: {report(eg)}")


async def a_failure_after_the_body_cancels_the_siblings():
    try:
        async with asyncio.TaskGroup() as tg:
            tg.create_task(child("A", 2, fail=True))
            tg.create_task(child("B", 5))
            log("body ends")
    except ExceptionGroup as eg:
        log(f"group failed: {report(eg)}")


async def cancelling_the_awaiting_task_cancels_the_children():
    async def parent():
        try:
            async with asyncio.TaskGroup() as tg:
                tg.create_task(child("A", 5))
                tg.create_task(child("B", 5))
                try:
                    await asyncio.sleep(1)
                except asyncio.CancelledError:
                    log("body cancelled")
                    raise
        except asyncio.CancelledError:
            log("parent cancelled")
            raise

    p = asyncio.create_task(parent())
    await asyncio.sleep(0)
    await asyncio.sleep(0)
    log("cancel parent")
    p.cancel()
    try:
        await p
    except asyncio.CancelledError:
        log("main sees parent cancelled")


async def a_body_that_fails_cancels_the_children():
    try:
        async with asyncio.TaskGroup() as tg:
            tg.create_task(child("A", 5))
            await asyncio.sleep(0)
            log("body fails")
            raise RuntimeError("body failed")
    except ExceptionGroup as eg:
        log(f"group failed: {report(eg)}")


async def a_body_awaiting_a_child_is_cancelled_through_it():
    try:
        async with asyncio.TaskGroup() as tg:
            a = tg.create_task(child("A", 5))
            tg.create_task(child("B", 1, fail=True))
            try:
                await a
                log("body ends")
            except asyncio.CancelledError:
                log("body cancelled")
                raise
    except ExceptionGroup as eg:
        log(f"group failed: {report(eg)}")


async def a_body_awaiting_a_future_cancels_the_future():
    fut = asyncio.get_running_loop().create_future()
    try:
        async with asyncio.TaskGroup() as tg:
            tg.create_task(child("B", 1, fail=True))
            try:
                await fut
                log("body ends")
            except asyncio.CancelledError:
                log(f"body cancelled, future cancelled {fut.cancelled()}")
                raise
    except ExceptionGroup as eg:
        log(f"group failed: {report(eg)}")


async def a_child_that_finishes_eagerly_is_accounted_for_at_once():
    # Run with the eager task factory.
    try:
        async with asyncio.TaskGroup() as tg:
            tg.create_task(child("A", 0, fail=True))
            log("body goes on")
            try:
                await asyncio.sleep(0)
            except asyncio.CancelledError:
                log("body cancelled")
                raise
    except ExceptionGroup as eg:
        log(f"group failed: {report(eg)}")


for scenario in [the_group_waits_for_every_child, the_body_can_outlast_its_children,
                 the_first_failure_cancels_the_siblings_and_the_body,
                 failures_in_one_iteration_are_all_collected,
                 a_failure_after_the_body_cancels_the_siblings,
                 cancelling_the_awaiting_task_cancels_the_children,
                 a_body_that_fails_cancels_the_children,
                 a_body_awaiting_a_child_is_cancelled_through_it,
                 a_body_awaiting_a_future_cancels_the_future,
                 a_child_that_finishes_eagerly_is_accounted_for_at_once]:
    print(f"# {scenario.__name__}")
    eager = scenario is a_child_that_finishes_eagerly_is_accounted_for_at_once
    run(scenario, asyncio.eager_task_factory if eager else None)
