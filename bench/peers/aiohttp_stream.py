"""A Python streaming client in the style of vLLM's benchmark request functions (aiohttp, one session, SSE lines
parsed with json.loads, a timestamp per chunk, the text kept), as the peer of ipw's client in `bench chunks` and
`bench ttft-excess`.

    python3 aiohttp_stream.py URL --requests N --concurrency C --max-tokens T [--ttft-out FILE]

Prints one JSON line: requests, chunks, errors, wall seconds. With --ttft-out, writes "seed ttft_s e2e_s" per
successful request.
"""
import argparse
import asyncio
import json
import sys
import time

import aiohttp


async def one(session, url, seed, max_tokens):
    payload = {
        "model": "ipw-tiny",
        "messages": [{"role": "user", "content": f"Count to {seed}."}],
        "max_completion_tokens": max_tokens,
        "stream": True,
        "stream_options": {"include_usage": True},
        "seed": seed,
    }
    start = time.perf_counter()
    ttft = None
    done = False
    stamps = []
    text = []
    async with session.post(url, json=payload) as response:
        if response.status != 200:
            return None, 0, False, None
        async for raw in response.content:
            line = raw.strip()
            if not line.startswith(b"data:"):
                continue
            data = line[5:].strip()
            if data == b"[DONE]":
                done = True
                break
            event = json.loads(data)
            now = time.perf_counter()
            choices = event.get("choices") or []
            if choices and choices[0].get("delta", {}).get("content"):
                if ttft is None:
                    ttft = now - start
                stamps.append(now)
                text.append(choices[0]["delta"]["content"])
    return ttft, len(stamps), done, time.perf_counter() - start


async def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("url")
    parser.add_argument("--requests", type=int, required=True)
    parser.add_argument("--concurrency", type=int, required=True)
    parser.add_argument("--max-tokens", type=int, required=True)
    parser.add_argument("--seed-base", type=int, default=0)
    parser.add_argument("--ttft-out")
    args = parser.parse_args()
    url = args.url.rstrip("/") + "/v1/chat/completions"
    limit = asyncio.Semaphore(args.concurrency)
    connector = aiohttp.TCPConnector(limit=args.concurrency)
    timeout = aiohttp.ClientTimeout(total=6 * 60 * 60)
    results = {}

    async with aiohttp.ClientSession(connector=connector, timeout=timeout) as session:
        async def limited(seed):
            async with limit:
                try:
                    results[seed] = await one(session, url, seed, args.max_tokens)
                except aiohttp.ClientError:
                    # A connection the server had closed (llama.cpp's after a stream): counted as an error, not retried.
                    results[seed] = (None, 0, False, None)

        start = time.perf_counter()
        await asyncio.gather(*(limited(args.seed_base + i) for i in range(args.requests)))
        wall = time.perf_counter() - start

    chunks = sum(r[1] for r in results.values())
    errors = sum(1 for r in results.values() if not r[2])
    if args.ttft_out:
        with open(args.ttft_out, "w") as f:
            for seed, (ttft, _, ok, e2e) in sorted(results.items()):
                if ok and ttft is not None:
                    f.write(f"{seed} {ttft} {e2e}\n")
    print(json.dumps({"requests": len(results), "chunks": chunks, "errors": errors, "wall_s": wall}))


if __name__ == "__main__":
    asyncio.run(main())
    sys.exit(0)
