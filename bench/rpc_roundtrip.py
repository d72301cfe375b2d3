"""RPC round trip: raw kombu request/reply vs nameko vs Parvis's authorised RPC.

    python -m bench.rpc_roundtrip [--calls 2000] [--amqp-uri ...]   (default: own vhost)

Starts, on the local broker, two raw kombu echo servers (threads: one transient,
one that replies like nameko, persistent with publisher confirms), and two nameko
echo services in subprocesses, then measures, one call in flight at a time,
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
from parvis_contracts.config import nameko_config

QUEUE = "bench-raw-echo"
#: the echo server that answers like nameko does: persistent replies, publisher confirms
QUEUE_CONFIRMED = "bench-raw-echo-confirmed"
SERVER_THREADS = 10


def raw_echo_server(
    uri: str, ready: threading.Event, stop: threading.Event, persistent: bool = False
) -> None:
    name = QUEUE_CONFIRMED if persistent else QUEUE
    with Connection(uri, transport_options={"confirm_publish": persistent}) as conn:
        channel = conn.channel()
        channel.basic_qos(0, 1, False)  # one message at a time per consumer
        producer = Producer(channel)
        queue = Queue(name, exchange=Exchange("", type="direct"), routing_key=name, auto_delete=True)

        def on_message(body, message):
            producer.publish(
                body,
                routing_key=message.properties["reply_to"],
                correlation_id=message.properties["correlation_id"],
                serializer="json",
                delivery_mode=2 if persistent else 1,
            )
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
        self.consumer = self.conn.Consumer(
            self.reply, callbacks=[self._on_reply], channel=self.channel, no_ack=True
        )
        self.consumer.consume()

    def _on_reply(self, body, message):
        self.pending[message.properties["correlation_id"]] = body

    def call(self, value):
        cid = uuid.uuid4().hex
        self.producer.publish(
            {"value": value},
            routing_key=QUEUE_CONFIRMED if self.persistent else QUEUE,
            reply_to=self.reply.name,
            correlation_id=cid,
            serializer="json",
            delivery_mode=2 if self.persistent else 1,
        )
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


class EchoServers:
    """The raw kombu echo server (a thread) and the two nameko echo services
    (subprocesses) on ``uri``; ``with EchoServers(uri) as echo: ...``."""

    def __init__(self, uri: str, nameko: bool = True):
        self.uri = uri
        self.nameko = nameko  # False: the raw kombu servers only
        self.stop = threading.Event()
        self.servers = []
        self.services = []
        self.client = None
        self.token = None

    def __enter__(self) -> EchoServers:
        # as many consumers on each raw queue as a nameko service has workers (10)
        for persistent in (False, True):
            for _ in range(SERVER_THREADS):
                ready = threading.Event()
                server = threading.Thread(
                    target=raw_echo_server, daemon=True, args=(self.uri, ready, self.stop, persistent)
                )
                server.start()
                ready.wait(10)
                self.servers.append(server)
        if not self.nameko:
            return self
        env = dict(os.environ, PARVIS_AMQP_URI=self.uri)
        self.services = [
            subprocess.Popen(
                [sys.executable, "-m", "parvis_contracts.runner", f"bench.echo_service:{cls}"],
                env=dict(env, **extra),
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
            for cls, extra in (
                ("PlainEcho", {}),
                ("AuthorisedEcho", {}),
                ("UnconfirmedEcho", {"PARVIS_RPC_REPLY_CONFIRMS": "0"}),
            )
        ]
        self.client = RpcClient(dict(nameko_config(), AMQP_URI=self.uri), timeout=10)
        self.token = ctx.sign(ctx.Caller(kind=ctx.KIND_SYSTEM), ttl=3600)
        try:
            deadline = time.time() + 30
            while True:
                try:
                    self.plain()
                    self.authorised()
                    self.unconfirmed()
                    break
                except Exception:
                    if time.time() > deadline:
                        raise
                    time.sleep(0.5)
        except BaseException:
            self.__exit__(None, None, None)
            raise
        return self

    def plain(self):
        return self.client.call("bench_plain_echo", "echo", self.token, 1)

    def authorised(self):
        return self.client.call("bench_parvis_echo", "echo", self.token, 1)

    def unconfirmed(self):
        return self.client.call("bench_parvis_echo_unconfirmed", "echo", self.token, 1)

    def __exit__(self, *exc) -> None:
        if self.client is not None:
            self.client.close()
        for proc in self.services:
            proc.terminate()
        for proc in self.services:
            try:
                proc.wait(30)
            except subprocess.TimeoutExpired:
                proc.kill()
        self.stop.set()
        for server in self.servers:
            server.join(5)


def one_in_flight(echo: EchoServers, calls: int) -> dict:
    """Latency samples (ms) of each path, one call in flight, reused clients."""
    results = {}
    for name, persistent in (("raw kombu (transient)", False), ("raw kombu (persistent + confirms)", True)):
        raw = RawClient(echo.uri, persistent)
        results[name] = measure(raw.call_one, calls)
        raw.close()
    results["nameko rpc (reused proxy)"] = measure(echo.plain, calls)
    results["parvis rpc (signed context verified)"] = measure(echo.authorised, calls)
    results["parvis rpc, replies transient and unconfirmed"] = measure(echo.unconfirmed, calls)
    return results


def concurrent(make_call, callers: int, seconds: float) -> float:
    """Calls per second of ``callers`` threads, each with its own client from
    ``make_call()`` (returns ``(call, close)``), calling back to back for ``seconds``."""
    counts = [0] * callers
    errors = []
    start = threading.Barrier(callers + 1)
    stop = threading.Event()

    def worker(index):
        call, close = make_call()
        try:
            call()  # warm: reply queue, connection
            start.wait()
            while not stop.is_set():
                call()
                counts[index] += 1
        except Exception as exc:  # reported, never hidden
            errors.append(exc)
            stop.set()
        finally:
            close()

    threads = [threading.Thread(target=worker, args=(i,), daemon=True) for i in range(callers)]
    for thread in threads:
        thread.start()
    start.wait(60)
    t0 = time.perf_counter()
    time.sleep(seconds)
    stop.set()
    elapsed = time.perf_counter() - t0
    for thread in threads:
        thread.join(30)
    if errors:
        raise errors[0]
    return sum(counts) / elapsed


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=2000)
    parser.add_argument(
        "--amqp-uri",
        default=None,
        help="broker to use (default: a temporary vhost of its own on the "
        "local RabbitMQ, created and deleted through its management API)",
    )
    args = parser.parse_args(argv)

    vhost = None
    if args.amqp_uri is None:
        from .support import Vhost

        vhost = Vhost("parvis-bench-rpc").create()
    try:
        with EchoServers(args.amqp_uri or vhost.uri) as echo:
            results = one_in_flight(echo, args.calls)
    finally:
        if vhost is not None:
            vhost.delete()

    base = statistics.median(results["raw kombu (persistent + confirms)"])
    print(f"# RPC round trip, {args.calls} calls, one in flight\n")
    print("| path | p50 ms | p95 ms | p99 ms | p50 vs raw kombu (persistent) |")
    print("|---|---|---|---|---|")
    for name, samples in results.items():
        print(
            f"| {name} | {pct(samples, 50):.2f} | {pct(samples, 95):.2f} | "
            f"{pct(samples, 99):.2f} | {statistics.median(samples) / base:.2f}x |"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
