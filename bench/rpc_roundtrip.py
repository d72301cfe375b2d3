"""RPC round trip: raw kombu request/reply vs nameko vs Parvis's authorised RPC.

    python -m bench.rpc_roundtrip [--calls 2000] [--amqp-uri ...]

Starts, on the local broker, a raw kombu echo server (a thread), and two nameko
echo services in a subprocess, then measures, one call in flight at a time,
the latency of each path with a reused client. Prints p50/p95/p99 and the
ratio of each path to raw kombu measured in the same run. Absolute times on a
shared machine are noise; the ratios are the figures.
"""
from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import threading
import time
import uuid

from kombu import Connection, Exchange, Producer, Queue

from parvis_contracts import context as ctx
from parvis_contracts.client import RpcClient
from parvis_contracts.config import amqp_uri, nameko_config

QUEUE = "bench-raw-echo"


def raw_echo_server(uri: str, ready: threading.Event, stop: threading.Event) -> None:
    with Connection(uri) as conn:
        channel = conn.channel()
        producer = Producer(channel)
        queue = Queue(QUEUE, exchange=Exchange("", type="direct"), routing_key=QUEUE,
                      auto_delete=True)

        def on_message(body, message):
            producer.publish(body, routing_key=message.properties["reply_to"],
                             correlation_id=message.properties["correlation_id"],
                             serializer="json")
            message.ack()

        with conn.Consumer(queue, callbacks=[on_message], channel=channel):
            ready.set()
            while not stop.is_set():
                try:
                    conn.drain_events(timeout=0.2)
                except TimeoutError:
                    pass
                except OSError:
                    if stop.is_set():
                        return
                    raise


class RawClient:
    def __init__(self, uri: str, persistent: bool):
        self.conn = Connection(uri, transport_options={"confirm_publish": persistent})
        self.channel = self.conn.channel()
        self.reply = Queue(f"bench-reply-{uuid.uuid4().hex}", exclusive=True, auto_delete=True)
        self.reply(self.channel).declare()
        self.producer = Producer(self.channel)
        self.persistent = persistent
        self.pending = {}
        self.consumer = self.conn.Consumer(self.reply, callbacks=[self._on_reply],
                                           channel=self.channel, no_ack=True)
        self.consumer.consume()

    def _on_reply(self, body, message):
        self.pending[message.properties["correlation_id"]] = body

    def call(self, value):
        cid = uuid.uuid4().hex
        self.producer.publish({"value": value}, routing_key=QUEUE, reply_to=self.reply.name,
                              correlation_id=cid, serializer="json",
                              delivery_mode=2 if self.persistent else 1)
        while cid not in self.pending:
            self.conn.drain_events(timeout=5)
        return self.pending.pop(cid)

    def call_one(self):
        return self.call(1)

    def close(self):
        self.consumer.cancel()
        self.conn.release()


def measure(fn, calls: int) -> list[float]:
    for _ in range(min(50, calls)):
        fn()
    samples = []
    for _ in range(calls):
        t0 = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - t0) * 1000)
    return samples


def pct(samples, q):
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(q / 100 * len(ordered)))]


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=2000)
    parser.add_argument("--amqp-uri", default=amqp_uri())
    args = parser.parse_args(argv)

    ready, stop = threading.Event(), threading.Event()
    server = threading.Thread(target=raw_echo_server, args=(args.amqp_uri, ready, stop),
                              daemon=True)
    server.start()
    ready.wait(10)

    env = dict(os.environ, PARVIS_AMQP_URI=args.amqp_uri)
    services = [subprocess.Popen([sys.executable, "-m", "parvis_contracts.runner",
                                  f"bench.echo_service:{cls}"], env=env,
                                 stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
                for cls in ("PlainEcho", "AuthorisedEcho")]
    config = dict(nameko_config(), AMQP_URI=args.amqp_uri)
    client = RpcClient(config, timeout=10)
    token = ctx.sign(ctx.Caller(kind=ctx.KIND_SYSTEM), ttl=3600)
    try:
        deadline = time.time() + 30
        while True:
            try:
                client.call("bench_plain_echo", "echo", token, 1)
                client.call("bench_parvis_echo", "echo", token, 1)
                break
            except Exception:
                if time.time() > deadline:
                    raise
                time.sleep(0.5)

        results = {}
        for name, persistent in (("raw kombu (transient)", False),
                                 ("raw kombu (persistent + confirms)", True)):
            raw = RawClient(args.amqp_uri, persistent)
            results[name] = measure(raw.call_one, args.calls)
            raw.close()
        results["nameko rpc (reused proxy)"] = measure(
            lambda: client.call("bench_plain_echo", "echo", token, 1), args.calls)
        results["parvis rpc (signed context verified)"] = measure(
            lambda: client.call("bench_parvis_echo", "echo", token, 1), args.calls)
    finally:
        client.close()
        for proc in services:
            proc.terminate()
        for proc in services:
            try:
                proc.wait(30)
            except subprocess.TimeoutExpired:
                proc.kill()
        stop.set()
        server.join(5)

    base = statistics.median(results["raw kombu (persistent + confirms)"])
    print(f"# RPC round trip, {args.calls} calls, one in flight\n")
    print("| path | p50 ms | p95 ms | p99 ms | p50 vs raw kombu (persistent) |")
    print("|---|---|---|---|---|")
    for name, samples in results.items():
        print(f"| {name} | {pct(samples, 50):.2f} | {pct(samples, 95):.2f} | "
              f"{pct(samples, 99):.2f} | {statistics.median(samples) / base:.2f}x |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
