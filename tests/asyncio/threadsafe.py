"""asyncio's side of the run_coroutine_threadsafe tests in tests/future.rs:
what another thread sees of a concurrent.futures.Future (no iteration
numbers: the two threads' interleaving is not deterministic).
Run: PYENV_VERSION=3.13.0 python3 tests/asyncio/threadsafe.py"""
import asyncio
import concurrent.futures
import threading


def main():
    loop = asyncio.new_event_loop()
    started = threading.Event()
    cancelled = threading.Event()

    async def answer():
        return 42

    async def fails():
        raise RuntimeError("boom")

    async def forever():
        started.set()
        try:
            await asyncio.sleep(3600)
        except asyncio.CancelledError:
            cancelled.set()
            raise

    def other_thread():
        f = asyncio.run_coroutine_threadsafe(answer(), loop)
        print("result", f.result(timeout=10), "done", f.done())
        f = asyncio.run_coroutine_threadsafe(fails(), loop)
        try:
            f.result(timeout=10)
        except RuntimeError as e:
            print("raised", e)
        f = asyncio.run_coroutine_threadsafe(forever(), loop)
        try:
            f.result(timeout=0.05)
        except TimeoutError:
            print("timed out, done", f.done())
        started.wait()
        print("cancel", f.cancel(), "cancelled", f.cancelled(), "done", f.done())
        try:
            f.result()
        except concurrent.futures.CancelledError:
            print("result raises CancelledError")
        print("task cancelled on its loop", cancelled.wait(10))
        print("cancel again", f.cancel())
        loop.call_soon_threadsafe(loop.stop)

    t = threading.Thread(target=other_thread)
    t.start()
    loop.run_forever()
    t.join()
    loop.close()
    try:
        asyncio.run_coroutine_threadsafe(answer(), loop)
    except RuntimeError as e:
        print("closed loop:", e)


main()
