#!/usr/bin/env python3
"""Writes the seed corpora in fuzz/seeds/<target>/: a few valid inputs
each, in the layout corio::fuzzing documents (4 parameter bytes, then the
input). Run from the repository root; needs the zstd command for the zstd
seeds. The fuzzers grow their own corpora from these in fuzz/corpus/."""
import os, subprocess, zlib, gzip

def params(seed, a, b):
    return bytes([seed & 0xff, seed >> 8, a, b])

def chunked(data, size=7, ext=b""):
    out = b""
    for i in range(0, len(data), size):
        part = data[i:i + size]
        out += b"%x%s\r\n" % (len(part), ext) + part + b"\r\n"
    return out + b"0\r\nExpires: 0\r\n\r\n"

def zstd(data):
    return subprocess.run(["zstd", "-q", "-c"], input=data, capture_output=True, check=True).stdout

text = b"<html><body>" + b"Top 250 " * 40 + b"</body></html>\n"
deflate = zlib.compress(text)
raw_deflate = zlib.compress(text)[2:-4]
gz = gzip.compress(text, mtime=0)
zs = zstd(text)
head = b"HTTP/1.1 200 OK\r\nServer: nginx\r\nContent-Type: text/html; charset=utf-8\r\nSet-Cookie: a=b; Path=/\r\n"
seeds = {
    "head": [
        head + b"Content-Length: 0\r\n\r\n",
        b"\r\nHTTP/1.0 301 Moved\nLocation: /x\n\n",
        b"HTTP/1.1  404  Not Found\r\nX-Folded: a\r\n  b\r\n\r\nbody",
        b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 204 No Content\r\n\r\n",
    ],
    "response": [
        head + b"Content-Length: %d\r\n\r\n" % len(text) + text,
        head + b"Transfer-Encoding: chunked\r\n\r\n" + chunked(text, 100, b";a=b"),
        head + b"Content-Encoding: gzip\r\nContent-Length: %d\r\n\r\n" % len(gz) + gz,
        head + b"Content-Encoding: deflate\r\nTransfer-Encoding: chunked\r\n\r\n" + chunked(deflate, 50),
        head + b"Content-Encoding: zstd\r\nConnection: close\r\n\r\n" + zs,
        b"HTTP/1.0 200 OK\r\nContent-Length: 5, 5\r\n\r\nhelloHTTP/1.1 200 OK\r\n",
    ],
    "chunked": [
        chunked(text),
        chunked(b"hello world", 3, b';name="v"'),
        b"0000000000005\r\nhello\r\n0\r\n\r\n",
        b"0\r\n\r\n",
    ],
    # A: coding index | framing << 4 (0 length, 1 close, 2 chunked as is,
    # 3 framed here); B: limit index 6 (1 MiB).
    "content": [
        bytes(params(0x0003, 1 | 0 << 4, 6)) + gz,
        bytes(params(0x0005, 1 | 1 << 4, 6)) + gz + gzip.compress(b"", mtime=0),
        bytes(params(0x0002, 2 | 3 << 4, 6)) + deflate,
        bytes(params(0x0001, 2 | 1 << 4, 6)) + raw_deflate,
        bytes(params(0x0004, 4 | 0 << 4, 6)) + zs,
        bytes(params(0x0006, 5 | 2 << 4, 6)) + chunked(gzip.compress(gz, mtime=0), 64),
        bytes(params(0x0007, 4 | 1 << 4, 2)) + zs,
    ],
    "url": [
        b"http://user:pw@Example.COM:80/a/./b/../c%2e?q=1#top\n../g?y",
        "https://bücher.example/ä?x y\n//other/p".encode(),
        b"http://[::1]:8080/\n?z",
        b"http://192.168.0.1./a//b\nhttp:g",
    ],
}
for target, inputs in seeds.items():
    folder = os.path.join("fuzz", "seeds", target)
    os.makedirs(folder, exist_ok=True)
    for index, data in enumerate(inputs):
        if target != "content":
            # Split seeds: none, random cuts, every byte.
            # Parameters: for head, 64 KiB and 100 fields; for response,
            # not HEAD, a 1 MiB body, 64 KiB and 100 fields.
            a, b = {"head": (5, 3), "response": (12, 0x35)}.get(target, (0, 0))
            data = params([0x0000, 0x0005, 0x8000, 0x0003][index % 4], a, b) + data
        with open(os.path.join(folder, "seed-%d" % index), "wb") as f:
            f.write(data)
