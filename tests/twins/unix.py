"""asyncio 3.13's handling of a Unix server's socket file, the twin of tests/unix.rs:
run with `PYENV_VERSION=3.13.0 python3 tests/twins/unix.py`."""
import asyncio, os, tempfile, socket
async def main():
    d = tempfile.mkdtemp(); path = os.path.join(d, "s.sock")
    # a stale socket file from a previous run
    s = socket.socket(socket.AF_UNIX); s.bind(path); s.close()
    print("stale exists", os.path.exists(path))
    async def cb(r, w):
        w.write((await r.readline()).upper()); await w.drain(); w.close()
    server = await asyncio.start_unix_server(cb, path)
    print("sockets", server.sockets[0].getsockname() == path)
    r, w = await asyncio.open_unix_connection(path)
    w.write(b"hi\n"); print(await r.readline()); w.close()
    server.close(); await server.wait_closed()
    print("after close exists", os.path.exists(path))
    # a regular file at the path is not replaced
    open(path, "w").close()
    try:
        await asyncio.start_unix_server(cb, path)
    except OSError as e:
        print("regular file:", type(e).__name__, e.errno)
    os.remove(path)
    try:
        await asyncio.open_unix_connection(path)
    except OSError as e:
        print("no such path:", type(e).__name__)
asyncio.run(main())
