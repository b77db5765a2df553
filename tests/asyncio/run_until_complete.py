# run_until_complete stops through a done-callback: what the future's last
# step queued still runs; what that queues in turn does not. Task numbers
# continue on a second loop, and call_soon_threadsafe from the loop's own
# thread joins the ready queue at the moment of the call.
import asyncio
from harness import install, log


async def noop():
    pass


async def main():
    lp = asyncio.get_running_loop()
    log(f"main is {asyncio.current_task().get_name()}")
    asyncio.create_task(noop())
    lp.call_soon(lambda: (log("queued by the last step"), lp.call_soon(lambda: log("queued one later"))))
    lp.call_soon_threadsafe(lambda: log("threadsafe, queued second"))
    lp.call_soon(lambda: log("call_soon, queued third"))


first = asyncio.new_event_loop()
install(first)
first.run_until_complete(main())
log("first run returned")
second = asyncio.new_event_loop()
install(second)
second.run_until_complete(main())
log("second run returned")
first.close()
second.close()
