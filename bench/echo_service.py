"""Echo services for the RPC benchmark: nameko's own ``rpc`` and Parvis's
authorised ``rpc`` (signed caller context verified before the worker runs); the latter
also runs as ``bench_parvis_echo_unconfirmed`` in a process with
``PARVIS_RPC_REPLY_CONFIRMS=0`` (transient replies without publisher confirms)."""

from nameko.rpc import rpc as plain_rpc

from parvis_contracts.entrypoints import rpc


class PlainEcho:
    name = "bench_plain_echo"

    @plain_rpc
    def echo(self, value):
        return value


class AuthorisedEcho:
    name = "bench_parvis_echo"

    @rpc
    def echo(self, value):
        return value


class UnconfirmedEcho(AuthorisedEcho):
    name = "bench_parvis_echo_unconfirmed"
