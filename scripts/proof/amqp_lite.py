"""Just enough AMQP 0-9-1 to publish with publisher confirms, in the standard library (the short chaos form runs in
CI under Debian's python3, without pika). Bodies of any size (split into frames), content type, delivery mode and
message id; nothing else.

    with Publisher("127.0.0.1", port) as p:
        p.publish("events", "chaos.log.info", body)   # confirmed by the broker when the call returns
"""
from __future__ import annotations

import socket
import struct


def _shortstr(s: str) -> bytes:
    b = s.encode()
    return struct.pack("B", len(b)) + b


def _longstr(b: bytes) -> bytes:
    return struct.pack(">I", len(b)) + b


class AMQPError(Exception):
    pass


class Publisher:
    def __init__(self, host: str, port: int, user: str = "guest", password: str = "guest", vhost: str = "/",
                 timeout: float = 30):
        self.sock = socket.create_connection((host, port), timeout=timeout)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.sock.sendall(b"AMQP\x00\x00\x09\x01")
        self.frame_max = 131072
        self.delivery_tag = 0
        self._expect(0, 10, 10)  # connection.start
        self._method(0, 10, 11, struct.pack(">I", 0) + _shortstr("PLAIN") +
                     _longstr(f"\0{user}\0{password}".encode()) + _shortstr("en_US"))
        payload = self._expect(0, 10, 30)  # connection.tune
        channel_max, frame_max, _ = struct.unpack(">HIH", payload[:8])
        self.frame_max = frame_max or self.frame_max
        self._method(0, 10, 31, struct.pack(">HIH", channel_max, self.frame_max, 0))
        self._method(0, 10, 40, _shortstr(vhost) + _shortstr("") + b"\0")
        self._expect(0, 10, 41)
        self._method(1, 20, 10, _shortstr(""))
        self._expect(1, 20, 11)
        self._method(1, 85, 10, b"\0")  # confirm.select
        self._expect(1, 85, 11)

    def __enter__(self):
        return self

    def __exit__(self, *_):
        self.close()

    @staticmethod
    def _encode(kind: int, channel: int, payload: bytes) -> bytes:
        return struct.pack(">BHI", kind, channel, len(payload)) + payload + b"\xce"

    def _method(self, channel: int, class_id: int, method_id: int, arguments: bytes) -> None:
        self.sock.sendall(self._encode(1, channel, struct.pack(">HH", class_id, method_id) + arguments))

    def _read(self, n: int) -> bytes:
        data = b""
        while len(data) < n:
            chunk = self.sock.recv(n - len(data))
            if not chunk:
                raise AMQPError("connection closed by the broker")
            data += chunk
        return data

    def _next_method(self) -> tuple[int, int, int, bytes]:
        while True:
            kind, channel, size = struct.unpack(">BHI", self._read(7))
            payload = self._read(size)
            if self._read(1) != b"\xce":
                raise AMQPError("bad frame end")
            if kind == 1:
                class_id, method_id = struct.unpack(">HH", payload[:4])
                if (class_id, method_id) in ((10, 50), (20, 40)):
                    code = struct.unpack(">H", payload[4:6])[0]
                    text = payload[7:7 + payload[6]].decode(errors="replace")
                    raise AMQPError(f"closed by the broker: {code} {text}")
                return channel, class_id, method_id, payload[4:]

    def _expect(self, channel: int, class_id: int, method_id: int) -> bytes:
        got = self._next_method()
        if got[:3] != (channel, class_id, method_id):
            raise AMQPError(f"expected {class_id}.{method_id}, got {got[1]}.{got[2]}")
        return got[3]

    def publish(self, exchange: str, routing_key: str, body: bytes, content_type: str = "application/json",
                persistent: bool = True, message_id: str | None = None) -> None:
        """Publishes and waits for the broker's confirm (basic.ack); raises on basic.nack."""
        frames = [self._encode(1, 1, struct.pack(">HH", 60, 40) + struct.pack(">H", 0) + _shortstr(exchange)
                               + _shortstr(routing_key) + b"\0")]
        flags = 0x8000 | 0x1000 | (0x0100 if message_id else 0)
        properties = _shortstr(content_type) + struct.pack("B", 2 if persistent else 1)
        if message_id:
            properties += _shortstr(message_id)
        frames.append(self._encode(2, 1, struct.pack(">HHQH", 60, 0, len(body), flags) + properties))
        step = self.frame_max - 8
        for start in range(0, len(body), step):
            frames.append(self._encode(3, 1, body[start:start + step]))
        self.sock.sendall(b"".join(frames))
        self.delivery_tag += 1
        while True:
            _, class_id, method_id, arguments = self._next_method()
            if class_id == 60 and method_id in (80, 120):  # basic.ack / basic.nack
                tag = struct.unpack(">Q", arguments[:8])[0]
                if method_id == 120:
                    raise AMQPError(f"the broker nacked message {tag}")
                if tag >= self.delivery_tag:
                    return

    def close(self) -> None:
        try:
            self._method(0, 10, 50, struct.pack(">H", 200) + _shortstr("bye") + struct.pack(">HH", 0, 0))
            self._expect(0, 10, 51)
        except (OSError, AMQPError):
            pass
        self.sock.close()
