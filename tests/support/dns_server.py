"""A real DNS server on 127.0.0.1 (dnslib, UDP) for domain-verification tests, and one that never answers.

Both bind a free port in DNS_TEST_PORTS; the tests point the DNS_RESOLVER setting at it.
"""

import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager

from dnslib import QTYPE, RCODE, RR, TXT
from dnslib.server import BaseResolver, DNSLogger, DNSServer

DNS_TEST_PORTS = range(8753, 8800)  # this project's test range on this machine


class Zone(BaseResolver):
    """Names the server knows, each with its TXT values (an empty list: the name exists without TXT).
    Any other name is NXDOMAIN; a name in ``servfail`` gets SERVFAIL. A value given as a list is
    served as one record of several strings."""

    def __init__(self) -> None:
        self.names: dict[str, list[str | list[str]]] = {}
        self.servfail: set[str] = set()
        self.queries: list[tuple[str, str]] = []

    def resolve(self, request, handler):  # dnslib's interface
        reply = request.reply()
        name = str(request.q.qname).rstrip(".").lower()
        self.queries.append((name, QTYPE[request.q.qtype]))
        if name in self.servfail:
            reply.header.rcode = RCODE.SERVFAIL
        elif name not in self.names:
            reply.header.rcode = RCODE.NXDOMAIN
        elif request.q.qtype == QTYPE.TXT:
            for value in self.names[name]:
                reply.add_answer(RR(name, QTYPE.TXT, rdata=TXT(value), ttl=60))
        return reply


def _bind(make):
    for port in DNS_TEST_PORTS:
        try:
            return make(port), port
        except OSError:  # taken by another test worker or another server: try the next one
            continue
    raise RuntimeError(f"no free UDP port in {DNS_TEST_PORTS}")


@contextmanager
def dns_server_running() -> Iterator[tuple[Zone, str]]:
    """Serve a Zone; yields it and its ``host:port`` address."""
    zone = Zone()
    quiet = DNSLogger(prefix=False, logf=lambda _: None)
    server, port = _bind(lambda p: DNSServer(zone, address="127.0.0.1", port=p, logger=quiet).server)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield zone, f"127.0.0.1:{port}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


@contextmanager
def dns_server_silent() -> Iterator[str]:
    """A UDP port that receives queries and never answers: every lookup times out."""

    def make(port: int) -> socket.socket:
        sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            sock.close()
            raise
        return sock

    sock, port = _bind(make)
    stop = threading.Event()
    received: list[bytes] = []

    def swallow() -> None:
        sock.settimeout(0.05)
        while not stop.is_set():
            try:
                received.append(sock.recv(4096))
            except TimeoutError:
                continue

    thread = threading.Thread(target=swallow, daemon=True)
    thread.start()
    try:
        yield f"127.0.0.1:{port}"
    finally:
        stop.set()
        thread.join(timeout=5)
        sock.close()
