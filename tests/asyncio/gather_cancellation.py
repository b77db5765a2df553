# Cancelling the task that awaits a gather cancels every unfinished child in
# the same step; a cancelled child makes the gather raise CancelledError.
import asyncio
from harness import log, run


async def child(name):
    try:
        await asyncio.sleep(3600)
    finally:
        log(f"{name} cancelled")


async def main():
    a = asyncio.create_task(child("a"))
    b = asyncio.create_task(child("b"))

    async def awaiter():
        try:
            await asyncio.gather(a, b)
        finally:
            log("awaiter cancelled")

    t = asyncio.create_task(awaiter())
    await asyncio.sleep(0)
    log("cancel awaiter")
    t.cancel()
    try:
        await t
    except asyncio.CancelledError:
        log("awaiter task done")
    log(f"a cancelled: {a.cancelled()}, b cancelled: {b.cancelled()}")

    c = asyncio.create_task(child("c"))
    d = asyncio.create_task(child("d"))
    gathering = asyncio.gather(c, d)
    await asyncio.sleep(0)
    log("cancel c")
    c.cancel()
    try:
        await gathering
    except asyncio.CancelledError:
        log("gather raised CancelledError")
    d.cancel()
    await asyncio.sleep(0)


run(main)
