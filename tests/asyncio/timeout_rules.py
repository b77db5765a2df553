# Zero and same-deadline timeouts: any suspension under timeout(0) raises;
# a body that does not suspend completes; a timeout that fires together
# with the awaited task's timer wins, and the task is done and cancelled
# when TimeoutError arrives.
import asyncio
from harness import log, run


async def child(name, secs):
    try:
        await asyncio.sleep(secs)
        log(f"{name} returns")
        return name
    except asyncio.CancelledError:
        log(f"{name} cancelled")
        raise


async def main():
    try:
        async with asyncio.timeout(0):
            log("timeout(0) body starts")
            await asyncio.sleep(0)
            log("timeout(0) body resumed")
    except TimeoutError:
        log("timeout(0) raised")
    try:
        async with asyncio.timeout(0):
            log("timeout(0) body without a suspension")
        log("timeout(0) passed")
    except TimeoutError:
        log("timeout(0) raised")
    c = asyncio.create_task(child("same", 0.05))
    await asyncio.sleep(0)
    try:
        await asyncio.wait_for(c, 0.05)
        log("same deadline: ok")
    except TimeoutError:
        log(f"same deadline: TimeoutError, done {c.done()}, cancelled {c.cancelled()}")
    c = asyncio.create_task(child("late", 1))
    try:
        await asyncio.wait_for(c, 0.01)
        log("late: ok")
    except TimeoutError:
        log(f"late: TimeoutError, done {c.done()}, cancelled {c.cancelled()}")


run(main)
