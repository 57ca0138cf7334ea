#!/usr/bin/env python3
"""A TCP relay that adds a fixed one-way delay in each direction, for cluster/netns-test.

tc's netem (the usual way to add latency) is not available on every kernel build (it is not on
this project's CI machines), so latency comes from this relay instead: every chunk read from one
side is written to the other side DELAY_MS later, in order. Throughput is not limited (tc tbf
does that); only latency is added.

    delay-relay.py LISTEN_HOST LISTEN_PORT TARGET_HOST TARGET_PORT DELAY_MS
"""
import asyncio
import sys


async def pump(reader, writer, delay):
    """Copies reader to writer, each chunk `delay` seconds after it arrived."""
    loop = asyncio.get_running_loop()
    queue = asyncio.Queue()

    async def read_side():
        while True:
            data = await reader.read(65536)
            await queue.put((loop.time() + delay, data))
            if not data:
                return

    async def write_side():
        while True:
            due, data = await queue.get()
            wait = due - loop.time()
            if wait > 0:
                await asyncio.sleep(wait)
            if not data:
                writer.close()
                return
            writer.write(data)
            await writer.drain()

    try:
        await asyncio.gather(read_side(), write_side())
    except (ConnectionError, OSError):
        writer.close()


async def main():
    if len(sys.argv) != 6:
        sys.exit("usage: delay-relay.py LISTEN_HOST LISTEN_PORT TARGET_HOST TARGET_PORT DELAY_MS")
    listen_host, listen_port, target_host, target_port = sys.argv[1], int(sys.argv[2]), sys.argv[3], int(sys.argv[4])
    delay = float(sys.argv[5]) / 1000.0

    async def serve(client_reader, client_writer):
        try:
            up_reader, up_writer = await asyncio.open_connection(target_host, target_port)
        except OSError as e:
            print(f"delay-relay: cannot reach {target_host}:{target_port}: {e}", file=sys.stderr)
            client_writer.close()
            return
        await asyncio.gather(pump(client_reader, up_writer, delay), pump(up_reader, client_writer, delay),
                             return_exceptions=True)

    server = await asyncio.start_server(serve, listen_host, listen_port)
    print(f"delay-relay: {listen_host}:{listen_port} -> {target_host}:{target_port}, +{delay * 1000:.0f} ms each way",
          file=sys.stderr, flush=True)
    async with server:
        await server.serve_forever()


if __name__ == "__main__":
    asyncio.run(main())
