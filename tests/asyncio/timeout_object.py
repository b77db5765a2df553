# asyncio.Timeout: when() and expired(), reschedule() moving the deadline
# later from inside the block, and to the past, which expires the block at
# its next suspension.
import asyncio
from harness import log, run


async def main():
    lp = asyncio.get_running_loop()
    start = lp.time()
    try:
        async with asyncio.timeout(0.01) as cm:
            log(f"deadline in {round((cm.when() - start) * 1000)} ms")
            cm.reschedule(lp.time() + 0.05)
            await asyncio.sleep(0.02)
            log(f"still inside past the first deadline, expired: {cm.expired()}")
            cm.reschedule(lp.time() - 1)
            log("rescheduled into the past")
            await asyncio.sleep(0)
            log("never printed")
    except TimeoutError:
        log(f"TimeoutError, expired: {cm.expired()}")
    async with asyncio.timeout(None) as cm:
        log(f"no deadline: when {cm.when()}")
        await asyncio.sleep(0)


run(main)
