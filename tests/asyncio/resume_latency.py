# How long after a child's last step each way of waiting resumes: a direct
# await (and wait_for) one iteration, the done-callback combinators two.
import asyncio
from harness import log, run


async def child(name):
    await asyncio.sleep(0)
    log(f"{name} last step")
    return name


async def main():
    t = asyncio.create_task(child("await"))
    await t
    log("await resumed")
    t = asyncio.create_task(child("gather"))
    await asyncio.gather(t)
    log("gather resumed")
    t = asyncio.create_task(child("wait"))
    await asyncio.wait([t])
    log("wait resumed")
    t = asyncio.create_task(child("as_completed"))
    for next_done in asyncio.as_completed([t]):
        await next_done
    log("as_completed resumed")
    t = asyncio.create_task(child("shield"))
    await asyncio.shield(t)
    log("shield resumed")
    t = asyncio.create_task(child("wait_for"))
    await asyncio.wait_for(t, 10)
    log("wait_for resumed")


run(main)
