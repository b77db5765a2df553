# gather over existing tasks: a failing child fails the gather two
# iterations after its last step (through gather's done-callback), the
# siblings keep running, and no task wraps the children.
import asyncio
from harness import log, run


async def child(name, steps, fail=False):
    for _ in range(steps):
        await asyncio.sleep(0)
    if fail:
        log(f"{name} fails")
        raise ValueError(name)
    log(f"{name} returns")
    return name


async def main():
    a = asyncio.create_task(child("a", 1))
    b = asyncio.create_task(child("b", 2, fail=True))
    c = asyncio.create_task(child("c", 4))
    try:
        await asyncio.gather(a, b, c)
    except ValueError as e:
        log(f"gather failed: {e}")
    log(f"c done: {c.done()}")
    c.add_done_callback(lambda _: log("c done-callback"))
    log(f"names: {', '.join(t.get_name() for t in (a, b, c))}")


run(main)
