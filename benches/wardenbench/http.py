"""The one HTTP/1.1 response reader of the Python harnesses: benches/run (start-up
probe, a GET while connections are held), benches/soak (every response it checks) and
benches/memory_probe.py. One reader, so that a framing rule is fixed in one place.

`Connection` wraps a socket and reads responses off it in order (keep-alive and
pipelining: bytes after one response stay buffered for the next):

  - a head of at most MAX_HEAD bytes ending in CRLFCRLF; the status line must name one of
    the accepted versions (HTTP/1.1 unless the caller widens it) and a numeric status;
    field names are lower-cased, a repeated field keeps its last value;
  - no body for HEAD, 1xx, 204 and 304 (RFC 9112 §6.3 items 1-2); otherwise a body of
    exactly Content-Length bytes (§6.3 item 6), or, only when the caller asks, one that
    ends when the server closes (§6.3 item 8). Chunked bodies are not decoded: warden
    never sends them, and no caller reads a body from a server that does.

Errors: NoResponse when the exchange ends first (timeout, close, socket error, head too
long; `reason` says which), ValueError for a malformed status line or Content-Length,
KeyError('content-length') for a body with no length where one is required. The
messages are the ones benches/soak reports (and checks: "timeout" in the text).

Python 3 standard library only.
"""
import socket
import time

MAX_HEAD = 65536  # larger than any head warden sends (its own limits are 8 KiB for requests)
RECV_SIZE = 262144  # a 5 MiB body in ~20 reads
HTTP11 = ("HTTP/1.1",)
HTTP1X = ("HTTP/1.0", "HTTP/1.1")  # peers in benches/run may answer as 1.0


class NoResponse(Exception):
    """The exchange ended before a complete response. reason: 'timeout', 'closed',
    'error' (a socket error, in `cause`), 'head too long', or 'other' when a caller
    raises it itself (benches/soak: NoResponse("503"))."""

    def __init__(self, text, reason="other", cause=None):
        super().__init__(text)
        self.reason, self.cause = reason, cause


class Response:
    __slots__ = ("status", "headers", "body")

    def __init__(self, status, headers, body):
        self.status, self.headers, self.body = status, headers, body

    def h(self, name):
        """A field's value by lower-case name, or None."""
        return self.headers.get(name)

    def closes(self):
        return "close" in (self.headers.get("connection") or "").lower()

    def __repr__(self):
        return "%d %r body %d bytes" % (self.status, self.headers, len(self.body))


class Connection:
    """Responses read in order off one socket (which has a timeout set)."""

    def __init__(self, sock):
        self.sock = sock
        self.buf = bytearray()

    def send(self, data):
        try:
            self.sock.sendall(data)
        except OSError as e:
            raise NoResponse("send: %s" % e, "error", e)

    def _fill(self):
        try:
            d = self.sock.recv(RECV_SIZE)
        except socket.timeout as e:
            raise NoResponse("timeout after %.0f s" % (self.sock.gettimeout() or 0), "timeout", e)
        except OSError as e:
            raise NoResponse("recv: %s" % e, "error", e)
        if not d:
            raise NoResponse("closed by the server", "closed")
        self.buf += d

    def read_head(self, accept=HTTP11):
        """(status, {lower-case name: value}) of the next response."""
        while True:
            i = self.buf.find(b"\r\n\r\n")
            if i >= 0:
                break
            if len(self.buf) > MAX_HEAD:
                raise NoResponse("response head over %d KiB" % (MAX_HEAD // 1024), "head too long")
            self._fill()
        head = bytes(self.buf[:i]).decode("latin-1")
        del self.buf[:i + 4]
        lines = head.split("\r\n")
        parts = lines[0].split(" ", 2)
        if len(parts) < 2 or parts[0] not in accept or not parts[1].isdigit():
            raise ValueError("bad status line %r" % lines[0])
        headers = {}
        for line in lines[1:]:
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
        return int(parts[1]), headers

    def read_body(self, status, headers, head_only=False, until_close=False):
        """The body the head announces (RFC 9112 §6.3); b"" when it has none."""
        if head_only or status in (204, 304) or 100 <= status < 200:
            return b""
        length = headers.get("content-length")
        if length is None:
            if not until_close:
                raise KeyError("content-length")
            while True:
                try:
                    self._fill()
                except NoResponse as e:
                    if e.reason != "closed":
                        raise
                    break
            n = len(self.buf)
        else:
            if not length.isdigit():
                raise ValueError("bad Content-Length %r" % length)
            n = int(length)
            while len(self.buf) < n:
                self._fill()
        body = bytes(self.buf[:n])
        del self.buf[:n]
        return body

    def read_response(self, head_only=False, until_close=False, accept=HTTP11):
        """The next whole response. head_only: it answers a HEAD (no body). until_close:
        without Content-Length, the body runs to the server's close."""
        status, headers = self.read_head(accept)
        return Response(status, headers, self.read_body(status, headers, head_only, until_close))

    def read_partial_body(self, n):
        """Up to n body bytes (stops at a close or an error); for clients that reset mid-body."""
        while len(self.buf) < n:
            try:
                self._fill()
            except NoResponse:
                break
        return bytes(self.buf[:n])

    def close(self):
        self.sock.close()


def get(port, path="/index.html", timeout=5.0, host="127.0.0.1", wrap=None):
    """One GET with `Connection: close` on a new connection, the whole response read.
    Returns (status, seconds), or (error text, seconds): "timeout", "no response" (closed
    before a head), "bad response", "head too long" or the socket error's class name.
    A body cut short by a close still returns the status. wrap: a function of the
    connected socket returning the socket to speak over (benches/run's TLS rows: a TLS
    client, its handshake done; an error there is reported as the socket's)."""
    t0 = time.monotonic()
    sock = None
    try:
        sock = socket.create_connection((host, port), timeout=timeout)
        if wrap is not None:
            sock = wrap(sock)
    except socket.timeout:
        if sock is not None:
            sock.close()
        return "timeout", time.monotonic() - t0
    except OSError as e:
        if sock is not None:
            sock.close()
        return type(e).__name__, time.monotonic() - t0
    conn = Connection(sock)
    try:
        sock.settimeout(timeout)
        conn.send(f"GET {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n".encode())
        status, headers = conn.read_head(HTTP1X)
        try:
            conn.read_body(status, headers, until_close=True)
        except NoResponse as e:
            if e.reason != "closed":
                raise
        return status, time.monotonic() - t0
    except NoResponse as e:
        text = {"timeout": "timeout", "closed": "no response"}.get(e.reason, e.reason)
        if e.reason == "error":
            text = type(e.cause).__name__
        return text, time.monotonic() - t0
    except ValueError:
        return "bad response", time.monotonic() - t0
    finally:
        conn.close()
