"""Self-tests for parity.netproxy.DelayProxy against a small echo server on loopback."""

import socket
import socketserver
import threading
import time

import pytest

from parity.netproxy import DelayProxy

# Every blocking socket call in these tests gives up after this long, so a bug fails fast instead of hanging.
IO_TIMEOUT_S = 3.0


class _EchoServer(socketserver.ThreadingTCPServer):
    daemon_threads = True
    request_queue_size = 128  # the default backlog of 5 makes 64 near-simultaneous connects wait on SYN retries


class _Echo(socketserver.BaseRequestHandler):
    def handle(self):
        try:
            while data := self.request.recv(65536):
                self.request.sendall(data)
        except OSError:
            pass  # the proxy resets connections on purpose in some tests


@pytest.fixture
def echo_port():
    server = _EchoServer(("127.0.0.1", 0), _Echo)
    # A short poll interval keeps shutdown() quick; the default 0.5 s would dominate the file's runtime.
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)
    thread.start()
    yield server.server_address[1]
    server.shutdown()
    server.server_close()


@pytest.fixture
def proxy(echo_port):
    with DelayProxy("127.0.0.1", echo_port) as started:
        yield started


def _connect(port: int) -> socket.socket:
    sock = socket.create_connection(("127.0.0.1", port), timeout=IO_TIMEOUT_S)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return sock


def _recv_exactly(sock: socket.socket, n: int) -> bytes:
    buf = bytearray()
    while len(buf) < n:
        chunk = sock.recv(n - len(buf))
        if not chunk:
            raise AssertionError(f"expected {n} bytes, connection closed after {len(buf)}")
        buf += chunk
    return bytes(buf)


def _recv_or_reset(sock: socket.socket) -> bytes:
    try:
        return sock.recv(16)
    except ConnectionError:
        return b""  # a reset is what a dropped connection usually looks like


def _round_trip(sock: socket.socket, payload: bytes) -> float:
    start = time.monotonic()
    sock.sendall(payload)
    got = _recv_exactly(sock, len(payload))
    elapsed = time.monotonic() - start
    assert got == payload, f"expected {len(payload)} echoed bytes intact, got different bytes"
    return elapsed


def test_binary_round_trip_is_intact_and_counted(proxy):
    small = bytes(range(256)) * 4
    large = bytes((i * 7919) % 256 for i in range(2_000_000))  # > socket buffers: partial writes
    with _connect(proxy.port) as sock:
        _round_trip(sock, small)
        sending = threading.Thread(target=sock.sendall, args=(large,))
        sending.start()  # send while receiving, or both sides' buffers fill and deadlock
        got = _recv_exactly(sock, len(large))
        sending.join()
    assert got == large, "expected the 2 MB payload echoed in order"
    total = len(small) + len(large)
    # The proxy counts a chunk just after send() returns, which can be after the client has read it.
    deadline = time.monotonic() + IO_TIMEOUT_S
    while proxy.bytes_down < total and time.monotonic() < deadline:
        time.sleep(0.001)
    assert (proxy.bytes_up, proxy.bytes_down) == (total, total), \
        f"expected {total} bytes each way, got up={proxy.bytes_up} down={proxy.bytes_down}"
    assert proxy.connections == 1, f"expected 1 connection, got {proxy.connections}"
    assert proxy.url_hostport == f"127.0.0.1:{proxy.port}", f"got {proxy.url_hostport}"


def test_delay_applies_in_each_direction(proxy):
    with _connect(proxy.port) as sock:
        # Best of 5: one round trip can lose a scheduler slice on a busy machine; the best cannot lose many.
        fast = min(_round_trip(sock, b"ping") for _ in range(5))
        proxy.set_delay(0.05)
        slow = _round_trip(sock, b"ping")
    # Lower bound is exact: each direction holds the chunk for at least 0.05 s.
    assert slow >= 0.1, f"expected round trip >= 0.1 s with 0.05 s delay, got {slow:.4f} s"
    # Loopback round trips take well under 1 ms; 50 ms leaves room for a busy machine.
    assert fast < 0.05, f"expected best round trip < 0.05 s without delay, got {fast:.4f} s"


def test_many_connections_are_delayed_concurrently(echo_port):
    with DelayProxy("127.0.0.1", echo_port, delay_s=0.05) as proxy:
        socks = [_connect(proxy.port) for _ in range(64)]
        start = time.monotonic()
        for i, sock in enumerate(socks):
            sock.sendall(f"hello {i}".encode())
        replies = [_recv_exactly(sock, len(f"hello {i}")) for i, sock in enumerate(socks)]
        elapsed = time.monotonic() - start
        for sock in socks:
            sock.close()
    assert replies == [f"hello {i}".encode() for i in range(64)], "expected each echo on its own socket"
    # Serialised delays would take 64 x 0.1 s = 6.4 s; concurrent ones about 0.1 s. 1 s: busy-box headroom.
    assert 0.1 <= elapsed < 1.0, f"expected ~0.1 s for 64 concurrent round trips, got {elapsed:.3f} s"
    assert proxy.connections == 64, f"expected 64 connections, got {proxy.connections}"


def test_blackhole_holds_data_until_released(proxy):
    with _connect(proxy.port) as sock:
        proxy.blackhole(True)
        sock.sendall(b"stalled")
        sock.settimeout(0.2)  # long enough for loopback delivery; short to keep the file fast
        with pytest.raises(socket.timeout):
            sock.recv(16)
        sock.settimeout(IO_TIMEOUT_S)
        proxy.blackhole(False)
        got = _recv_exactly(sock, 7)
    assert got == b"stalled", f"expected the held bytes after un-blackholing, got {got!r}"


def test_drop_connections_resets_clients_and_keeps_listening(proxy):
    with _connect(proxy.port) as sock:
        _round_trip(sock, b"before")
        proxy.drop_connections()
        got = _recv_or_reset(sock)
        assert got == b"", f"expected a closed or reset connection, got {got!r}"
    with _connect(proxy.port) as again:
        _round_trip(again, b"after")


def test_unreachable_target_closes_the_client():
    with socket.socket() as unused:
        unused.bind(("127.0.0.1", 0))
        port = unused.getsockname()[1]  # bound but not listening: connects are refused
        with DelayProxy("127.0.0.1", port) as proxy:
            try:
                with _connect(proxy.port) as sock:
                    got = _recv_or_reset(sock)
            except ConnectionResetError:
                got = b""  # on loopback the proxy's reset can arrive before connect() returns
    assert got == b"", f"expected the client connection closed, got {got!r}"


def test_stop_closes_listener_and_thread(echo_port):
    proxy = DelayProxy("127.0.0.1", echo_port).start()
    client = _connect(proxy.port)
    _round_trip(client, b"x")
    proxy.stop()
    proxy.stop()  # idempotent
    leftover = [t.name for t in threading.enumerate() if t.name.startswith("DelayProxy")]
    assert leftover == [], f"expected no proxy threads after stop(), got {leftover}"
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection(("127.0.0.1", proxy.port), timeout=IO_TIMEOUT_S)
    got = _recv_or_reset(client)
    client.close()
    assert got == b"", f"expected open connections closed by stop(), got {got!r}"


def test_turns_count_request_response_exchanges(proxy):
    with _connect(proxy.port) as sock:
        for _ in range(3):
            _round_trip(sock, b"ping")
        # A turn is counted when the reply reaches the proxy, before the client can read it: no wait needed.
        assert proxy.turns == 3, f"expected 3 turns for 3 ping/pong exchanges, got {proxy.turns}"
        # Three requests sent in one write and answered together are one round trip, not three.
        _round_trip(sock, b"ping" * 3)
    assert proxy.turns == 4, f"expected a pipelined batch to add 1 turn (4 in all), got {proxy.turns}"


def test_turns_are_summed_over_connections(proxy):
    with _connect(proxy.port) as a, _connect(proxy.port) as b:
        _round_trip(a, b"one")
        _round_trip(b, b"two")
        _round_trip(a, b"three")
    assert proxy.turns == 3, f"expected 3 turns over 2 connections, got {proxy.turns}"
