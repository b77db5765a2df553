"""asyncio twin of tests/signals.rs: run with `PYENV_VERSION=3.13.0 python3 tests/twins/signals.py`."""
import asyncio, signal

async def delivery_order(log):
    loop = asyncio.get_running_loop()
    loop.add_signal_handler(signal.SIGUSR1, lambda: log.append("handler"))
    log.append("raise")
    signal.raise_signal(signal.SIGUSR1)
    log.append("raised")
    for step in range(1, 5):
        await asyncio.sleep(0)
        log.append(f"step {step}")
    loop.remove_signal_handler(signal.SIGUSR1)

async def two_raises_two_calls_and_replacing(log):
    loop = asyncio.get_running_loop()
    loop.add_signal_handler(signal.SIGUSR2, lambda: log.append("first handler"))
    signal.raise_signal(signal.SIGUSR2)
    signal.raise_signal(signal.SIGUSR2)
    for _ in range(3):
        await asyncio.sleep(0)
    loop.add_signal_handler(signal.SIGUSR2, lambda: log.append("second handler"))
    signal.raise_signal(signal.SIGUSR2)
    for _ in range(3):
        await asyncio.sleep(0)
    log.append(f"remove {loop.remove_signal_handler(signal.SIGUSR2)}")
    log.append(f"remove again {loop.remove_signal_handler(signal.SIGUSR2)}")

async def refusals(log):
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGKILL, signal.SIGSTOP, 0, 100000):
        try:
            loop.add_signal_handler(sig, lambda: None)
        except (RuntimeError, ValueError) as e:
            log.append(f"add {int(sig)}: {type(e).__name__}")
    log.append(f"remove SIGKILL {loop.remove_signal_handler(signal.SIGKILL)}")

for scenario in [delivery_order, two_raises_two_calls_and_replacing, refusals]:
    log = []
    asyncio.run(scenario(log))
    print(scenario.__name__)
    for line in log:
        print("   ", line)
