"""RPC client for processes outside nameko (the gateway, the launcher, tests).

A ``ClusterRpcProxy`` is expensive to create (a reply queue each) and not
thread-safe, so :class:`RpcClient` keeps one started proxy per thread and
reuses it for every call. The caller context is set per call.

    client = RpcClient()
    client.call("identity", "get_profile", token, user_id="...")
    futures = [client.call_async("identity", "health", token) for ...]   # in parallel
"""
from __future__ import annotations

import logging
import threading

from nameko.exceptions import RpcTimeout, UnknownService
from nameko.standalone.rpc import ClusterRpcProxy

from .config import env_int, nameko_config
from .context import CONTEXT_KEY
from .errors import Unavailable

log = logging.getLogger(__name__)


class RpcClient:
    def __init__(self, config: dict | None = None, timeout: float | None = None):
        self.config = config or nameko_config()
        self.timeout = timeout if timeout is not None else env_int("PARVIS_RPC_TIMEOUT", 5)
        self._local = threading.local()
        self._all: list[ClusterRpcProxy] = []
        self._lock = threading.Lock()

    def _proxy(self):
        holder = getattr(self._local, "holder", None)
        if holder is None:
            standalone = ClusterRpcProxy(self.config, context_data={}, timeout=self.timeout)
            proxy = standalone.start()
            holder = self._local.holder = (standalone, proxy)
            with self._lock:
                self._all.append(standalone)
        return holder

    def _reset(self) -> None:
        holder = getattr(self._local, "holder", None)
        self._local.holder = None
        if holder is not None:
            with self._lock:
                if holder[0] in self._all:
                    self._all.remove(holder[0])
            try:
                holder[0].stop()
            except Exception:  # connection already gone
                pass

    def _method(self, service: str, method: str, token: str):
        standalone, proxy = self._proxy()
        standalone._worker_ctx.data[CONTEXT_KEY] = token
        return getattr(getattr(proxy, service), method)

    def call(self, service: str, method: str, token: str, /, *args, **kwargs):
        try:
            return self._method(service, method, token)(*args, **kwargs)
        except (RpcTimeout, UnknownService):
            raise
        except (OSError, ConnectionError) as exc:
            self._reset()
            raise Unavailable("The platform's message broker cannot be reached.") from exc

    def call_async(self, service: str, method: str, token: str, /, *args, **kwargs):
        """Send now, wait later with ``.result()``: independent calls run in parallel."""
        # (service, method, token are positional-only so that an RPC may take a
        # keyword argument named ``token``, e.g. identity.accept_invitation)
        try:
            return self._method(service, method, token).call_async(*args, **kwargs)
        except (OSError, ConnectionError) as exc:
            self._reset()
            raise Unavailable("The platform's message broker cannot be reached.") from exc

    def close(self) -> None:
        with self._lock:
            proxies, self._all = self._all, []
        for standalone in proxies:
            try:
                standalone.stop()
            except Exception:
                pass
        self._local = threading.local()
