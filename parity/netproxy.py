"""Loopback TCP proxy that delays, stalls or drops connections in front of a server."""

from __future__ import annotations

import contextlib
import errno
import selectors
import socket
import struct
import threading
import time
from collections import deque

_CHUNK = 65536
# Stop reading a side once this much waits to be forwarded: bounds memory if the other side stalls.
_MAX_QUEUED = 4 << 20
_READ, _WRITE = selectors.EVENT_READ, selectors.EVENT_WRITE


class _Pipe:
    """One direction of a proxied connection: chunks held in order until their release time."""

    def __init__(self, src: socket.socket, dst: socket.socket):
        self.src, self.dst = src, dst
        self.chunks: deque = deque()  # (release_time, bytes or None); None means src sent EOF
        self.queued = 0  # bytes waiting in chunks
        self.eof = False  # src sent EOF: read no more
        self.done = False  # that EOF has been passed on to dst
        self.blocked = False  # dst is not writable (or not yet connected): wait for EVENT_WRITE


class _Link:
    """A client connection and its upstream connection."""

    def __init__(self, client: socket.socket, upstream: socket.socket):
        self.client, self.upstream = client, upstream
        self.up, self.down = _Pipe(client, upstream), _Pipe(upstream, client)
        self.up.blocked = True  # until the non-blocking connect completes
        self.connected = False
        self.last_read = None  # the pipe data last arrived on (turn counting)
        self.events = {client: 0, upstream: 0}  # what each socket is registered for


SPIN_BELOW_S = 0.0015


class DelayProxy:
    """Forwards 127.0.0.1:port to target; every chunk is delayed by delay_s in each direction."""

    def __init__(self, target_host: str, target_port: int, *, delay_s: float = 0.0,
                 listen_host: str = "127.0.0.1"):
        self.target_host, self.target_port = target_host, target_port
        self.delay_s, self.listen_host = delay_s, listen_host
        self.port = 0
        self.bytes_up = self.bytes_down = self.connections = 0
        # Request/response turns: times a connection's data switched from client->server to server->client,
        # summed over connections. A pipelined batch and its replies are one turn (one network round trip).
        self.turns = 0
        self._blackholed = self._stopping = False
        self._links: list[_Link] = []
        self._commands: deque = deque()
        self._thread: threading.Thread | None = None
        self._listener: socket.socket | None = None

    @property
    def url_hostport(self) -> str:
        return f"{self.listen_host}:{self.port}"

    def start(self) -> DelayProxy:
        if self._thread is not None:
            raise RuntimeError(f"DelayProxy already started on {self.url_hostport}")
        # Resolve once, here, so a bad target fails loudly instead of per connection. IPv4 first:
        # "localhost" often lists ::1 first while the suite's servers listen on 127.0.0.1.
        infos = socket.getaddrinfo(self.target_host, self.target_port, type=socket.SOCK_STREAM)
        self._target = min(infos, key=lambda info: info[0] != socket.AF_INET)
        self._listener = socket.create_server((self.listen_host, 0), backlog=512)
        self._listener.setblocking(False)
        self.port = self._listener.getsockname()[1]
        self._wake_r, self._wake_w = socket.socketpair()
        for sock in (self._wake_r, self._wake_w):
            sock.setblocking(False)
        self._sel = selectors.DefaultSelector()
        self._sel.register(self._listener, _READ, self._accept)
        self._sel.register(self._wake_r, _READ, self._drain_wake)
        self._thread = threading.Thread(target=self._run, name=f"DelayProxy:{self.port}",
                                        daemon=True)
        self._thread.start()
        return self

    def set_delay(self, seconds: float) -> None:
        """Delay for chunks arriving from now on; chunks already held keep their release time."""
        self.delay_s = seconds
        self._wake()

    def blackhole(self, on: bool = True) -> None:
        """Hold all data without forwarding (a stalled network); turning it off releases it."""
        self._blackholed = on
        self._wake()

    def drop_connections(self) -> None:
        """Reset every current client and upstream socket; returns once they are closed."""
        self._call(self._drop_all)

    def stop(self) -> None:
        """Close the listener and all connections and join the thread; safe to call twice."""
        if self._thread is None:
            return
        self._stopping = True
        self._wake()
        self._thread.join(timeout=5)

    def __enter__(self) -> DelayProxy:
        return self if self._thread is not None else self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    # --- called from other threads -------------------------------------------------------------

    def _wake(self) -> None:
        # A full or closed wake pipe means the loop is already awake or gone.
        with contextlib.suppress(OSError):
            if self._thread is not None:
                self._wake_w.send(b"\0")

    def _call(self, fn) -> None:
        if self._thread is None or not self._thread.is_alive():
            return
        done = threading.Event()
        self._commands.append((fn, done))
        self._wake()
        done.wait(timeout=5)

    # --- the loop thread -----------------------------------------------------------------------

    def _run(self) -> None:
        try:
            while not self._stopping:
                for key, mask in self._sel.select(self._timeout()):
                    key.data(key.fileobj, mask)
                while self._commands:
                    fn, done = self._commands.popleft()
                    fn()
                    done.set()
                for link in list(self._links):
                    self._service(link)
        finally:
            self._shutdown()

    def _drop_all(self) -> None:
        for link in list(self._links):
            self._close_link(link, abort=True)

    def _shutdown(self) -> None:
        self._drop_all()
        while self._commands:  # never leave a caller of _call waiting
            self._commands.popleft()[1].set()
        for sock in (self._listener, self._wake_r, self._wake_w):
            sock.close()
        self._sel.close()

    def _timeout(self) -> float | None:
        if self._blackholed:
            return None
        due = [p.chunks[0][0] for link in self._links for p in (link.up, link.down)
               if p.chunks and not p.blocked]
        if not due:
            return None
        wait = min(due) - time.monotonic()
        # epoll rounds its timeout up to whole milliseconds, which would turn a 0.25 ms delay into ~1 ms:
        # poll without blocking for the last stretch so sub-millisecond delays mean what they say.
        return 0.0 if wait < SPIN_BELOW_S else wait - SPIN_BELOW_S

    def _drain_wake(self, sock: socket.socket, mask: int) -> None:
        with contextlib.suppress(BlockingIOError):
            while sock.recv(4096):
                pass

    def _accept(self, listener: socket.socket, mask: int) -> None:
        while True:
            try:
                client, _ = listener.accept()
            except BlockingIOError:
                return
            self.connections += 1
            family, type_, proto, _, addr = self._target
            upstream = socket.socket(family, type_, proto)
            for sock in (client, upstream):
                sock.setblocking(False)
                # Nagle would add its own delay on top of ours and skew latency measurements.
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            link = _Link(client, upstream)
            self._links.append(link)
            if upstream.connect_ex(addr) not in (0, errno.EINPROGRESS):
                self._close_link(link, abort=True)

    def _on_socket(self, link: _Link, sock: socket.socket, mask: int) -> None:
        if link not in self._links:
            return  # closed earlier in this turn; the event is stale
        try:
            if mask & _WRITE:
                if sock is link.upstream and not link.connected:
                    err = sock.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
                    if err:
                        raise OSError(err, "upstream connect failed")
                    link.connected = True
                (link.up if sock is link.upstream else link.down).blocked = False
            if mask & _READ:
                pipe = link.up if sock is link.client else link.down
                if self._read(pipe):
                    self._count_turn(link, pipe)
        except OSError:
            self._close_link(link, abort=True)

    def _read(self, pipe: _Pipe) -> int:
        data = pipe.src.recv(_CHUNK)
        pipe.chunks.append((time.monotonic() + self.delay_s, data or None))
        pipe.queued += len(data)
        pipe.eof = not data
        return len(data)

    def _count_turn(self, link: _Link, pipe: _Pipe) -> None:
        # Counted on arrival, so a reply is counted before the client can see it.
        if pipe is link.down and link.last_read is link.up:
            self.turns += 1
        link.last_read = pipe

    def _flush(self, link: _Link, pipe: _Pipe, now: float) -> None:
        while pipe.chunks and not (pipe.blocked or self._blackholed) and pipe.chunks[0][0] <= now:
            release, data = pipe.chunks[0]
            if data is None:
                pipe.chunks.popleft()
                pipe.dst.shutdown(socket.SHUT_WR)
                pipe.done = True
                continue
            try:
                sent = pipe.dst.send(data)
            except BlockingIOError:
                sent = 0
            if sent < len(data):
                pipe.chunks[0] = (release, data[sent:])
                pipe.blocked = True
            else:
                pipe.chunks.popleft()
            pipe.queued -= sent
            if pipe is link.up:
                self.bytes_up += sent
            else:
                self.bytes_down += sent

    def _service(self, link: _Link) -> None:
        if link not in self._links:
            return  # closed earlier in this turn
        try:
            now = time.monotonic()
            self._flush(link, link.up, now)
            self._flush(link, link.down, now)
        except OSError:
            return self._close_link(link, abort=True)
        if link.up.done and link.down.done:
            return self._close_link(link, abort=False)
        up, down = link.up, link.down
        read_up = not up.eof and up.queued < _MAX_QUEUED
        read_down = link.connected and not down.eof and down.queued < _MAX_QUEUED
        self._watch(link, link.client, (_READ if read_up else 0) | (_WRITE if down.blocked else 0))
        self._watch(link, link.upstream, (_READ if read_down else 0) | (_WRITE if up.blocked else 0))

    def _watch(self, link: _Link, sock: socket.socket, events: int) -> None:
        old = link.events[sock]
        if events == old:
            return
        callback = lambda s, mask: self._on_socket(link, s, mask)  # noqa: E731
        if not old:
            self._sel.register(sock, events, callback)
        elif not events:
            self._sel.unregister(sock)
        else:
            self._sel.modify(sock, events, callback)
        link.events[sock] = events

    def _close_link(self, link: _Link, *, abort: bool) -> None:
        if link not in self._links:
            return
        self._links.remove(link)
        for sock in (link.client, link.upstream):
            if link.events[sock]:
                self._sel.unregister(sock)
                link.events[sock] = 0
            if abort:  # linger 0: close with a RST, as a dying network or server would
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            sock.close()
