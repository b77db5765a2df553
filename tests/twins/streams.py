"""asyncio twin of tests/streams.rs: run with `PYENV_VERSION=3.13.0 python3 tests/twins/streams.py`.

Each scenario prints its log; the Rust test of the same name asserts the same lines.
"""
import asyncio

async def serve_bytes(payload):
    """A server that sends `payload` to its one client, then closes."""
    async def cb(reader, writer):
        writer.write(payload)
        await writer.drain()
        writer.close()
        await writer.wait_closed()
    server = await asyncio.start_server(cb, "127.0.0.1", 0)
    return server, server.sockets[0].getsockname()[1]

async def readline_at_eof(log):
    server, port = await serve_bytes(b"one\ntwo")
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    for _ in range(3):
        log.append(f"readline {await reader.readline()!r}")
    log.append(f"at_eof {reader.at_eof()}")
    writer.close(); server.close()

async def readuntil_overrun(log):
    server, port = await serve_bytes(b"0123456789;abcdefghijkl")
    reader, writer = await asyncio.open_connection("127.0.0.1", port, limit=8)
    await asyncio.sleep(0.05)  # let all bytes arrive
    try:
        await reader.readuntil(b";")
    except asyncio.LimitOverrunError as e:
        log.append(f"overrun consumed={e.consumed} {e.args[0].lower()!r}")
    log.append(f"readexactly {await reader.readexactly(11)!r}")
    try:
        await reader.readuntil(b";")
    except asyncio.LimitOverrunError as e:
        log.append(f"overrun consumed={e.consumed} {e.args[0].lower()!r}")
    try:
        await reader.readuntil(b"!!")
    except asyncio.LimitOverrunError as e:
        log.append(f"overrun consumed={e.consumed} {e.args[0].lower()!r}")
    log.append(f"read {await reader.read(100)!r}")
    try:
        await reader.readuntil(b";")
    except asyncio.IncompleteReadError as e:
        log.append(f"incomplete partial={e.partial!r} expected={e.expected}")
    writer.close(); server.close()

async def readline_overrun(log):
    server, port = await serve_bytes(b"0123456789\nrest\nabcdefghijkl")
    reader, writer = await asyncio.open_connection("127.0.0.1", port, limit=8)
    await asyncio.sleep(0.05)
    for _ in range(4):
        try:
            log.append(f"readline {await reader.readline()!r}")
        except ValueError as e:
            log.append(f"readline error {e.args[0].lower()!r}")
    log.append(f"at_eof {reader.at_eof()}")
    writer.close(); server.close()

async def readexactly_and_read(log):
    server, port = await serve_bytes(b"abcdefgh")
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    await asyncio.sleep(0.05)
    log.append(f"read {await reader.read(2)!r}")
    log.append(f"readexactly {await reader.readexactly(3)!r}")
    log.append(f"read0 {await reader.read(0)!r}")
    try:
        await reader.readexactly(5)
    except asyncio.IncompleteReadError as e:
        log.append(f"incomplete partial={e.partial!r} expected={e.expected}")
    log.append(f"read {await reader.read(100)!r}")
    log.append(f"at_eof {reader.at_eof()}")
    writer.close(); server.close()

async def drain_waits_for_the_peer(log):
    started = asyncio.Event()
    go = asyncio.Event()
    received = []
    async def cb(reader, writer):
        await go.wait()
        received.append(len(await reader.read()))
        writer.close()
    server = await asyncio.start_server(cb, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(b"x" * (32 << 20))
    log.append(f"buffered above high water {writer.transport.get_write_buffer_size() > 65536}")
    drain = asyncio.create_task(writer.drain())
    await asyncio.sleep(0.1)
    log.append(f"drain done before the peer reads {drain.done()}")
    go.set()
    await drain
    log.append(f"drained, buffered at most low water {writer.transport.get_write_buffer_size() <= 16384}")
    writer.write_eof()
    try:
        writer.write(b"more")
    except RuntimeError:
        log.append("write after write_eof refused")
    await reader.read()
    log.append(f"peer received {received[0]}")
    writer.close()
    try:
        await writer.drain()
    except ConnectionResetError as e:
        log.append(f"drain after close: {str(e).lower()}")
    await writer.wait_closed()
    log.append("wait_closed returned")
    server.close(); await server.wait_closed()

async def server_wait_closed_waits_for_connections(log):
    async def cb(reader, writer):
        line = await reader.readline()
        writer.write(line.upper())
        await writer.drain()
        log.append(f"server handled {line!r}")
        await reader.read()  # until the client closes
        writer.close()
        log.append("server closed its side")
    server = await asyncio.start_server(cb, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(b"hello\n")
    log.append(f"client got {await reader.readline()!r}")
    server.close()
    log.append(f"is_serving {server.is_serving()}")
    try:
        await asyncio.open_connection("127.0.0.1", port)
    except ConnectionRefusedError:
        log.append("new connection refused")
    closed = asyncio.create_task(server.wait_closed())
    await asyncio.sleep(0.05)
    log.append(f"wait_closed done while a client is connected {closed.done()}")
    writer.close()
    await closed
    log.append("wait_closed returned")

async def a_timed_out_readline_keeps_its_bytes(log):
    go = asyncio.Event()
    async def cb(reader, writer):
        writer.write(b"abc")
        await writer.drain()
        await go.wait()
        writer.write(b"def\n")
        await writer.drain()
        writer.close()
    server = await asyncio.start_server(cb, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        await asyncio.wait_for(reader.readline(), 0.05)
    except TimeoutError:
        log.append("readline timed out")
    go.set()
    log.append(f"readline {await reader.readline()!r}")
    writer.close(); server.close()

async def bytes_written_without_drain_still_go_out_before_the_close(log):
    received = asyncio.Future()
    async def cb(reader, writer):
        received.set_result(len(await reader.read()))
        writer.close()
    server = await asyncio.start_server(cb, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(b"y" * (16 << 20))
    writer.close()
    log.append(f"closing, buffered {writer.transport.get_write_buffer_size() > 0}")
    await writer.wait_closed()
    log.append(f"closed, buffered {writer.transport.get_write_buffer_size()}")
    log.append(f"peer received {await received}")
    server.close()

async def a_peer_that_resets_fails_drain_and_wait_closed(log):
    async def cb(reader, writer):
        writer.transport.abort()  # close at once, unread data and all: a reset
    server = await asyncio.start_server(cb, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    await asyncio.sleep(0.05)
    try:
        for _ in range(100):
            writer.write(b"z" * (1 << 20))
            await writer.drain()
        log.append("drain kept succeeding")
    except (ConnectionResetError, BrokenPipeError) as e:
        log.append("drain failed: connection reset or broken pipe")
    try:
        await writer.wait_closed()
        log.append("wait_closed returned")
    except (ConnectionResetError, BrokenPipeError):
        log.append("wait_closed failed too")
    server.close()

async def the_default_limit_is_64_kib(log):
    server, port = await serve_bytes(b"a" * 65536 + b"\n" + b"b" * 70000 + b"\n")
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    await asyncio.sleep(0.05)
    log.append(f"first line {len(await reader.readline())}")
    try:
        await reader.readline()
    except ValueError as e:
        log.append(f"second line: {e.args[0].lower()}")
    log.append(f"then {await reader.readline()!r}")
    writer.close(); server.close()

for scenario in [readline_at_eof, readuntil_overrun, readline_overrun, readexactly_and_read,
                 drain_waits_for_the_peer, server_wait_closed_waits_for_connections,
                 a_timed_out_readline_keeps_its_bytes, bytes_written_without_drain_still_go_out_before_the_close,
                 a_peer_that_resets_fails_drain_and_wait_closed, the_default_limit_is_64_kib]:
    log = []
    asyncio.run(scenario(log))
    print(scenario.__name__)
    for line in log: print("   ", line)
