"""The tutorial's asyncio + aiohttp crawl of the Douban Movie Top 250, as
the bench's `crawl` workload runs it against the offline mirror:

    python3 bench/crawl_aiohttp.py http://127.0.0.1:8250

It fetches the 10 list pages at once, then every movie page they link to at
once, and prints one line per movie in rank order: name, score, director and
language as the tutorial's four regexes find them on the page with its
whitespace removed, or 页面不存在 for a page the site no longer has; the
elapsed time comes last. One change from the tutorial: the connector's limit
is 250 instead of aiohttp's default 100, so that it sends what the other
crawls in the bench send (every movie page at once).
"""

import asyncio
import re
import sys
import time

import aiohttp

MISSING = "页面不存在"


async def fetch(session, url):
    """The page's text, or None for a 404."""
    async with session.get(url) as response:
        if response.status == 404:
            return None
        response.raise_for_status()
        return await response.text()


def strip(page):
    """The page without its whitespace, as the tutorial's patterns expect."""
    return re.sub(r"\s", "", page)


async def movie(session, url):
    page = await fetch(session, url)
    if page is None:
        return MISSING
    page = strip(page)
    name = re.findall(r'name="title"value="(.*?)"', page)[0]
    score = re.findall(r'property="v:average">(.*?)<', page)[0]
    director = re.findall(r'rel="v:directedBy">(.*?)<', page)[0]
    language = re.findall(r"语言:</span>(.*?)<br/>", page)[0]
    return f"{name} {score} {director} {language}"


async def main(base_url):
    connector = aiohttp.TCPConnector(limit=250)
    async with aiohttp.ClientSession(connector=connector) as session:
        lists = await asyncio.gather(
            *(fetch(session, f"{base_url}/top250?start={start}&filter=") for start in range(0, 250, 25))
        )
        links = []
        for page in lists:
            for item in re.findall(r'<divclass="item">.*?</div>', strip(page)):
                links.append(re.findall(r'href="(.*?)"', item)[0])
        for line in await asyncio.gather(*(movie(session, link) for link in links)):
            print(line)


if __name__ == "__main__":
    started = time.perf_counter()
    asyncio.run(main(sys.argv[1].rstrip("/")))
    print(f"elapsed {time.perf_counter() - started:.3f} s")
