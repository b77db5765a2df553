# A handle reports cancelled() once cancel() was called on it, whether or
# not its callback had run; a callback that ran is not cancelled.
import asyncio
from harness import log, run


async def main():
    lp = asyncio.get_running_loop()
    ran = lp.call_soon(lambda: log("ran"))
    stopped = lp.call_soon(lambda: log("never runs"))
    stopped.cancel()
    timer = lp.call_later(0.001, lambda: log("timer ran"))
    await asyncio.sleep(0.01)
    log(f"ran: {ran.cancelled()}, stopped: {stopped.cancelled()}, timer: {timer.cancelled()}")
    ran.cancel()
    timer.cancel()
    log(f"after cancel: ran {ran.cancelled()}, timer {timer.cancelled()}")


run(main)
