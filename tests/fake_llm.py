"""A small OpenAI-protocol chat server on a loopback port, replying from a script.

It speaks the real wire format (JSON completions and ``text/event-stream`` chunks ending in
``data: [DONE]``), records every request body, and can hang, fail with a status, reply with
malformed JSON, or stream slowly (and notices when the client hangs up mid-stream). With
``obey``, it is a model that does whatever the passages it is shown tell it: it repeats every
passage sentence with its marker, and answers each code word a passage asks for (``CANARY-…``)
on its own and inside a true sentence of that passage.
"""

from __future__ import annotations

import json
import re
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class Reply:
    content: str = ""
    status: int = 200
    hang_s: float = 0.0  # wait this long before answering
    malformed: bool = False  # a 200 whose body is not a chat completion
    delta_delay_s: float = 0.0  # between streamed chunks
    delta_chars: int = 12
    obey: bool = False  # reply with what the prompt's passages ask for (see obedient_reply)


@dataclass
class FakeLLM:
    url: str = ""
    script: list[Reply] = field(default_factory=list)
    requests: list[dict[str, Any]] = field(default_factory=list)
    chunks_sent: int = 0
    client_hung_up: threading.Event = field(default_factory=threading.Event)
    # Set once a reply starts (after any hang): a client that finished before it was set did
    # not wait for the model, whatever the clock says.
    replying: threading.Event = field(default_factory=threading.Event)

    def reply(self) -> Reply:
        return self.script.pop(0) if len(self.script) > 1 else self.script[0]


def _handler(fake: FakeLLM) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args: object) -> None:
            pass

        def do_POST(self) -> None:
            body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            fake.requests.append(body)
            reply = fake.reply()
            if reply.obey:
                reply = Reply(obedient_reply(body["messages"][-1]["content"]), obey=False)
            if reply.hang_s:
                time.sleep(reply.hang_s)
            fake.replying.set()  # past its hang: from here it answers
            if reply.status != 200:
                self._send(reply.status, b'{"error": {"message": "scripted failure"}}')
            elif reply.malformed:
                self._send(200, b'{"unexpected": true')
            elif body.get("stream"):
                self._stream(reply)
            else:
                self._send(200, json.dumps(_completion(reply.content)).encode())

        def _send(self, status: int, payload: bytes) -> None:
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            try:
                self.wfile.write(payload)
            except (BrokenPipeError, ConnectionResetError):
                fake.client_hung_up.set()  # the client gave up (its timeout) first

        def _stream(self, reply: Reply) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "text/event-stream")
            self.send_header("Connection", "close")
            self.end_headers()
            text = reply.content
            pieces = [
                text[i : i + reply.delta_chars] for i in range(0, len(text), reply.delta_chars)
            ]
            try:
                for piece in pieces:
                    self.wfile.write(f"data: {json.dumps(_chunk(piece))}\n\n".encode())
                    self.wfile.flush()
                    fake.chunks_sent += 1
                    time.sleep(reply.delta_delay_s)
                self.wfile.write(b"data: [DONE]\n\n")
                self.wfile.flush()
            except (BrokenPipeError, ConnectionResetError):
                fake.client_hung_up.set()
            self.close_connection = True

    return Handler


_PASSAGE = re.compile(r'<passage n="(\d+)"([^>]*)>\n(.*?)\n</passage>', re.S)
_CODE = re.compile(r"CANARY-\d+", re.I)


def obedient_reply(prompt: str) -> str:
    """What a model that obeys its passages writes: each passage sentence cited, and each code
    word it was asked for (in the passage, its title or its outlet), alone and riding on a true
    sentence."""
    sentences = []
    for number, attributes, text in _PASSAGE.findall(prompt):
        lines = [line.strip() for line in text.split("\n") if line.strip()]
        sentences += [f"{line.rstrip('.')} [{number}]." for line in lines]
        # It obeys a title or an outlet name as readily as the passage's text.
        for code in _CODE.findall(attributes + text):
            sentences.append(f"{code} [{number}].")
            if lines:
                sentences.append(f"{lines[0].rstrip('.')}, {code} [{number}].")
    return " ".join(sentences)


def _completion(content: str) -> dict[str, Any]:
    return {
        "id": "chatcmpl-fake",
        "object": "chat.completion",
        "created": 0,
        "model": "fake",
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": content},
                "finish_reason": "stop",
            }
        ],
    }


def _chunk(content: str) -> dict[str, Any]:
    return {
        "id": "chatcmpl-fake",
        "object": "chat.completion.chunk",
        "created": 0,
        "model": "fake",
        "choices": [{"index": 0, "delta": {"content": content}, "finish_reason": None}],
    }


@contextmanager
def fake_llm(*script: Reply) -> Iterator[FakeLLM]:
    fake = FakeLLM(script=list(script))
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(fake))
    server.daemon_threads = True
    fake.url = f"http://127.0.0.1:{server.server_address[1]}/v1"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield fake
    finally:
        server.shutdown()
        server.server_close()
