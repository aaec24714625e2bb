#!/usr/bin/env python3
"""TLS-terminating relay of the integration tests (tests/common, WARDEN_TEST_TLS).

Listens on 127.0.0.1:0 and prints `listening on 127.0.0.1:PORT` on stdout. For every plain
TCP connection it accepts, it opens a TLS client connection (Python's ssl, that is OpenSSL,
over memory BIOs) to warden's --listen-tls address and pumps bytes both ways, so that a
test speaking plain HTTP/1.1 to the relay goes through warden's rustls side, checked by an
independent TLS implementation (certificate verified against --ca, ALPN http/1.1).

What TCP does is carried across:
* the client's FIN (half-close): once everything it sent is encrypted and sent, close_notify
  (`--half-close tls`, the default; `tcp` leaves it out), then shutdown(SHUT_WR) of the TCP
  socket under TLS, so warden sees the end of the stream (close_notify waits until the
  records that came before it are decrypted: OpenSSL's SSL_shutdown would read them itself,
  and refuse application data);
* warden's close_notify, or its FIN: once the plaintext before it is delivered,
  shutdown(SHUT_WR) towards the client; the pair is closed once both directions ended;
* a reset, or a TLS error, on one side resets the other (SO_LINGER 0, then close); warden's
  reset after the plaintext already decrypted is delivered;
* warden not listening (connection refused) resets the accepted client.

Bounded, per connection: at most CHUNK bytes of plaintext wait for the client, and the
ciphertext of one CHUNK of plaintext waits for warden; a side is read only when the other has
room (OpenSSL itself holds at most one record, 16 KiB). There are no other queues.

Control through stdin: the line `stop` closes the listener (warden has exited, so new
connections are refused, as warden's own listener would refuse them) and is answered with
`stopped` on stdout; open connections go on. End of stdin (the test process is gone) ends
the relay. Diagnostics go to stderr, one line each, `tls_relay: ...`.
"""

import argparse
import errno
import os
import selectors
import socket
import ssl
import struct
import sys

CHUNK = 4096


def log(msg):
    try:
        sys.stderr.write("tls_relay: %s\n" % msg)
        sys.stderr.flush()
    except OSError:
        pass


def reset(sock):
    """Closes `sock` with a reset (SO_LINGER 0)."""
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    except OSError:
        pass
    sock.close()


RESET_ERRORS = (ConnectionResetError, ConnectionAbortedError, BrokenPipeError)


class Pair:
    """One client connection and its TLS connection to warden."""

    def __init__(self, relay, n, client):
        self.relay = relay
        self.n = n
        self.client = client
        self.client.setblocking(False)
        self.client.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.up = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.up.setblocking(False)
        self.up.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.inb = ssl.MemoryBIO()
        self.outb = ssl.MemoryBIO()
        self.tls = relay.ctx.wrap_bio(self.inb, self.outb, server_side=False, server_hostname=relay.sni)
        self.masks = {}
        self.closed = False
        self.connecting = True
        self.handshaking = True
        # Ciphertext for warden (taken from outb), plaintext for the client.
        self.to_up = bytearray()
        self.to_client = bytearray()
        self.client_eof = False  # the client's FIN was read
        self.close_notify = False  # close_notify went into outb (or is not to be sent)
        self.up_shut = False  # our FIN to warden is sent
        self.up_eof = False  # warden's close_notify, or FIN, was read: no more plaintext
        self.up_raw_eof = False  # warden's FIN was read from the socket
        self.up_reset = False  # warden reset: the client is reset once it has what came before
        self.tls_dead = False  # no TLS traffic possible (handshake failed): client input is dropped
        self.client_shut = False  # our FIN to the client is sent
        err = self.up.connect_ex(relay.upstream)
        if err not in (0, errno.EINPROGRESS):
            log("#%d: connect %s:%d: %s" % (n, relay.upstream[0], relay.upstream[1], os.strerror(err)))
            self.abort()

    # --- bookkeeping ---

    def abort(self):
        """Resets both sides."""
        if self.closed:
            return
        self.closed = True
        self.unregister()
        reset(self.client)
        reset(self.up)

    def finish(self):
        """Closes both sides normally (both directions ended)."""
        self.closed = True
        self.unregister()
        self.client.close()
        self.up.close()

    def unregister(self):
        for sock in (self.client, self.up):
            if self.masks.get(sock):
                self.relay.sel.unregister(sock)
            self.masks[sock] = 0

    def set_mask(self, sock, mask):
        old = self.masks.get(sock, 0)
        if mask == old:
            return
        if not old:
            self.relay.sel.register(sock, mask, self)
        elif not mask:
            self.relay.sel.unregister(sock)
        else:
            self.relay.sel.modify(sock, mask, self)
        self.masks[sock] = mask

    def client_readable_wanted(self):
        if self.client_eof or self.handshaking and not self.tls_dead:
            return False
        if self.tls_dead:
            return True
        return not self.to_up and not self.outb.pending

    def up_readable_wanted(self):
        if self.connecting or self.up_raw_eof or self.up_reset:
            return False
        # After warden's close_notify: read on, to see its FIN or a reset.
        return self.up_eof or not self.to_client

    def update(self):
        if self.closed:
            return
        r, w = selectors.EVENT_READ, selectors.EVENT_WRITE
        self.set_mask(self.client, (r if self.client_readable_wanted() else 0) | (w if self.to_client else 0))
        up_w = self.connecting or bool(self.to_up)
        self.set_mask(self.up, (r if self.up_readable_wanted() else 0) | (w if up_w else 0))

    # --- the pump ---

    def pump(self):
        """Does everything that can be done without waiting; then waits for what it needs."""
        if self.closed:
            return
        if self.connecting:
            err = self.up.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
            if err:
                log("#%d: connect to warden: %s" % (self.n, os.strerror(err)))
                self.abort()
                return
            try:
                self.up.getpeername()
            except OSError:
                self.update()  # not connected yet
                return
            self.connecting = False
        try:
            while not self.closed and self.step():
                pass
        except RESET_ERRORS as e:
            log("#%d: %s" % (self.n, e))
            self.abort()
        except Exception as e:  # a relay bug: this pair ends, loudly, the relay goes on
            log("#%d: relay error %r" % (self.n, e))
            self.abort()
        if not self.closed:
            self.update()

    def step(self):
        """One round of every action; True if any made progress."""
        progress = False
        for wanted, action in (
            (lambda: self.handshaking and not self.tls_dead, self.handshake),
            (lambda: not self.to_up and self.outb.pending, self.take_out),
            (lambda: self.to_up, self.send_up),
            (self.client_readable_wanted, self.read_client),
            (lambda: self.client_eof and not self.up_shut and not self.tls_dead and not self.handshaking, self.half_close_up),
            (lambda: not self.handshaking and not self.up_eof and not self.to_client and not self.tls_dead, self.decrypt),
            (self.up_readable_wanted, self.read_up),
            (lambda: self.to_client, self.send_client),
            (lambda: self.up_eof and not self.to_client, self.end_to_client),
        ):
            if wanted():
                progress |= action()
                if self.closed:
                    return False
        if self.client_eof and self.client_shut and (self.up_shut or self.tls_dead) and not self.to_up:
            self.finish()
            return False
        return progress

    def take_out(self):
        self.to_up += self.outb.read()
        return True

    def end_to_client(self):
        """Warden's stream ended and the client has all of it: a reset, or our FIN."""
        if self.up_reset:
            log("#%d: warden reset the connection" % self.n)
            self.abort()
            return False
        if self.client_shut:
            return False
        self.client_shut = True
        try:
            self.client.shutdown(socket.SHUT_WR)
        except OSError:
            pass
        return True

    def handshake(self):
        try:
            self.tls.do_handshake()
        except ssl.SSLWantReadError:
            return False
        except (ssl.SSLEOFError, ssl.SSLZeroReturnError):
            # Warden closed before the handshake ended (e.g. every TLS slot in use).
            log("#%d: warden closed during the handshake" % self.n)
            self.handshaking = False
            self.tls_dead = True
            self.up_eof = True
            return True
        except ssl.SSLError as e:
            log("#%d: handshake failed: %s" % (self.n, e))
            self.abort()
            return False
        self.handshaking = False
        alpn = self.tls.selected_alpn_protocol()
        if alpn != "http/1.1":
            log("#%d: ALPN %r, not http/1.1" % (self.n, alpn))
        if self.relay.verbose:
            log("#%d: %s %s ALPN %s" % (self.n, self.tls.version(), self.tls.cipher()[0], alpn))
        return True

    def send_up(self):
        try:
            n = self.up.send(self.to_up)
        except BlockingIOError:
            return False
        except RESET_ERRORS as e:
            log("#%d: warden reset the connection (send: %s)" % (self.n, e))
            self.abort()
            return False
        del self.to_up[:n]
        if not self.to_up and self.close_notify and self.client_eof and not self.up_shut:
            self.shut_up()
        return n > 0

    def shut_up(self):
        self.up_shut = True
        try:
            self.up.shutdown(socket.SHUT_WR)
        except OSError:
            pass

    def read_client(self):
        try:
            data = self.client.recv(CHUNK)
        except BlockingIOError:
            return False
        except RESET_ERRORS:
            log("#%d: the client reset the connection" % self.n)
            self.abort()
            return False
        if not data:
            self.client_eof = True
            if self.tls_dead:
                self.up_shut = True
            return True
        if self.tls_dead:
            return True  # warden is gone; the bytes go nowhere
        try:
            self.tls.write(data)
        except ssl.SSLError as e:
            log("#%d: encrypt: %s" % (self.n, e))
            self.abort()
            return False
        return True

    def half_close_up(self):
        """The client's FIN, once what it sent is out: close_notify, then our FIN."""
        if self.to_up or self.outb.pending:
            return False
        if not self.close_notify:
            tls = self.relay.half_close == "tls" and not self.up_eof
            if tls and (self.inb.pending or self.tls.pending()):
                # SSL_shutdown would read those records itself and fail on application
                # data (APPLICATION_DATA_AFTER_CLOSE_NOTIFY): decrypt() takes them first.
                return False
            self.close_notify = True
            if tls:
                try:
                    self.tls.unwrap()
                except ssl.SSLWantReadError:
                    pass  # close_notify is in outb; warden's answer comes later
                except ssl.SSLError as e:
                    log("#%d: close_notify: %s" % (self.n, e))
            if self.outb.pending:
                return True
        self.shut_up()
        return True

    def decrypt(self):
        try:
            data = self.tls.read(CHUNK)
        except ssl.SSLWantReadError:
            if self.up_reset:
                self.up_eof = True
                return True
            return False
        except ssl.SSLZeroReturnError:
            data = b""
        except ssl.SSLEOFError:
            if not self.up_reset and not self.close_notify:
                log("#%d: warden's FIN without close_notify (a truncation attack looks the same)" % self.n)
            self.up_eof = True
            return True
        except ssl.SSLError as e:
            log("#%d: TLS error from warden: %s" % (self.n, e))
            self.abort()
            return False
        if not data:
            self.up_eof = True  # close_notify
            return True
        self.to_client += data
        return True

    def read_up(self):
        try:
            data = self.up.recv(CHUNK)
        except BlockingIOError:
            return False
        except RESET_ERRORS:
            self.up_reset = True
            if self.tls_dead or self.handshaking:
                log("#%d: warden reset the connection" % self.n)
                self.abort()
            return True
        if not data:
            self.up_raw_eof = True
            if self.handshaking or self.tls_dead:
                self.inb.write_eof()
                return True
            if self.up_eof:
                return True
            self.inb.write_eof()  # decrypt() sees whether close_notify came first
            return True
        if self.up_eof:
            log("#%d: %d bytes from warden after its close_notify, dropped" % (self.n, len(data)))
            return True
        self.inb.write(data)
        return True

    def send_client(self):
        try:
            n = self.client.send(self.to_client)
        except BlockingIOError:
            return False
        except RESET_ERRORS as e:
            log("#%d: the client reset the connection (send: %s)" % (self.n, e))
            self.abort()
            return False
        del self.to_client[:n]
        return n > 0


class Relay:
    def __init__(self, args):
        host, _, port = args.upstream.rpartition(":")
        self.upstream = (host, int(port))
        self.sni = args.server_name
        self.verbose = args.verbose
        self.half_close = args.half_close
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        ctx.load_verify_locations(cafile=args.ca)
        ctx.set_alpn_protocols(["http/1.1"])
        ctx.minimum_version = ssl.TLSVersion.TLSv1_2
        if args.max_version == "1.2":
            ctx.maximum_version = ssl.TLSVersion.TLSv1_2
        self.ctx = ctx
        self.sel = selectors.DefaultSelector()
        self.listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen(128)
        self.listener.setblocking(False)
        self.sel.register(self.listener, selectors.EVENT_READ, "accept")
        os.set_blocking(0, False)
        self.sel.register(0, selectors.EVENT_READ, "control")
        self.control = b""
        self.count = 0

    def accept(self):
        while self.listener is not None:
            try:
                client, _ = self.listener.accept()
            except BlockingIOError:
                return
            except OSError as e:
                log("accept: %s" % e)
                return
            self.count += 1
            pair = Pair(self, self.count, client)
            pair.update()

    def on_control(self):
        try:
            data = os.read(0, 4096)
        except BlockingIOError:
            return
        if not data:
            sys.exit(0)  # the test process is gone
        self.control += data
        while b"\n" in self.control:
            line, _, self.control = self.control.partition(b"\n")
            if line.strip() == b"stop" and self.listener is not None:
                self.sel.unregister(self.listener)
                self.listener.close()
                self.listener = None
                print("stopped", flush=True)

    def run(self):
        print("listening on 127.0.0.1:%d" % self.listener.getsockname()[1], flush=True)
        while True:
            for key, _ in self.sel.select():
                if key.data == "accept":
                    self.accept()
                elif key.data == "control":
                    self.on_control()
                else:
                    key.data.pump()


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--upstream", required=True, help="warden's --listen-tls address, IPv4 ADDR:PORT")
    p.add_argument("--ca", required=True, help="PEM certificate to verify warden's against")
    p.add_argument("--server-name", default="localhost", help="SNI and the name verified")
    p.add_argument("--max-version", choices=["1.2", "1.3"], default="1.3")
    p.add_argument("--half-close", choices=["tls", "tcp"], default="tls")
    p.add_argument("--verbose", action="store_true", help="a line per handshake")
    Relay(p.parse_args()).run()


if __name__ == "__main__":
    try:
        main()
    except KeyboardInterrupt:
        pass
