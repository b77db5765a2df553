# wait(FIRST_EXCEPTION) retrieves the exception that released it (while
# other tasks are still pending), so dropping the task later reports
# nothing; FIRST_COMPLETED looks at no exception, so the same failure is
# reported as never retrieved.
import asyncio
import gc
from harness import log, run


async def fail():
    await asyncio.sleep(0)
    raise ValueError("boom")


async def main():
    lp = asyncio.get_running_loop()
    lp.set_exception_handler(
        lambda _, context: log(f"report: {context['message']} ({context['future'].get_name()})")
    )
    for return_when in ["FIRST_EXCEPTION", "FIRST_COMPLETED"]:
        tasks = [asyncio.create_task(fail()), asyncio.create_task(asyncio.sleep(3600))]
        done, pending = await asyncio.wait(tasks, return_when=getattr(asyncio, return_when))
        log(f"{return_when}: {len(done)} done, {len(pending)} pending")
        for task in pending:
            task.cancel()
        del tasks, done, pending
        gc.collect()


run(main)
