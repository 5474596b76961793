"""A real HTTP server on loopback that speaks the OpenAI chat-completions and Anthropic messages formats and
answers from a script: a function of the request (its API, stage, step and attempt) that returns a reply.

It stands in for paid APIs, which tests cannot call. Everything else is real: the official clients, HTTP,
headers, status codes, retry-after, timeouts.
"""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

_STAGES = {
    "Write a first ModelNew": "translate",
    "Make the parent faster": "evolve",
    "Combine what makes parent A": "crossover",
    "Your program above failed": "repair",
}


@dataclass(frozen=True)
class Request:
    api: str  # "openai" | "anthropic"
    path: str
    headers: dict[str, str]
    body: dict[str, Any]

    @property
    def key(self) -> str:
        return self.headers.get("idempotency-key", "")

    @property
    def step(self) -> int:
        return int(self.key.split("/")[-2]) if self.key.count("/") >= 2 else -1

    @property
    def attempt(self) -> int:
        return int(self.key.split("/")[-1]) if self.key.count("/") >= 2 else -1

    @property
    def user(self) -> str:
        return str(self.body.get("messages", [{}])[-1].get("content", ""))

    @property
    def system(self) -> str:
        if self.api == "anthropic":
            return str(self.body.get("system", ""))
        return str(self.body["messages"][0]["content"])

    @property
    def stage(self) -> str:
        ask = self.user.rpartition("## Ask")[2]
        return next((stage for phrase, stage in _STAGES.items() if phrase in ask), "unknown")


@dataclass(frozen=True)
class Reply:
    text: str = ""
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    delay_s: float = 0.0
    raw: bytes | None = None  # a body sent as is (a malformed reply)
    usage: tuple[int, int] | None = (120, 60)  # (input, output) tokens; None: the server reports none


Script = Callable[[Request], Reply]


class ScriptedLLM:
    def __init__(self, script: Script) -> None:
        self.script = script
        self.requests: list[Request] = []
        self.replies: list[tuple[Request, Reply]] = []
        self._lock = threading.Lock()
        owner = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: object) -> None:
                pass

            def setup(self) -> None:
                super().setup()
                # Headers and body go out in two writes: without this, Nagle's algorithm and the client's delayed
                # ACK hold each reply back 40 ms.
                self.request.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

            def do_POST(self) -> None:
                length = int(self.headers.get("content-length") or 0)
                body = json.loads(self.rfile.read(length) or b"{}")
                api = "anthropic" if self.path.rstrip("/").endswith("/messages") else "openai"
                request = Request(api, self.path, {k.lower(): v for k, v in self.headers.items()}, body)
                with owner._lock:
                    owner.requests.append(request)
                reply = owner.script(request)
                with owner._lock:
                    owner.replies.append((request, reply))
                if reply.delay_s:
                    time.sleep(reply.delay_s)
                data = reply.raw if reply.raw is not None else _body(request, reply)
                try:
                    self.send_response(reply.status)
                    self.send_header("content-type", "application/json")
                    self.send_header("content-length", str(len(data)))
                    for name, value in reply.headers.items():
                        self.send_header(name, value)
                    self.end_headers()
                    self.wfile.write(data)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up (a timeout test)

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.05,), daemon=True)

    @property
    def port(self) -> int:
        return int(self._server.server_address[1])

    @property
    def openai_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    @property
    def anthropic_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def __enter__(self) -> ScriptedLLM:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()


def _body(request: Request, reply: Reply) -> bytes:
    model = str(request.body.get("model", ""))
    if reply.status != 200:
        kind = "rate_limit_error" if reply.status == 429 else "api_error"
        return json.dumps({"type": "error", "error": {"type": kind, "message": f"scripted {reply.status}"}}).encode()
    if request.api == "anthropic":
        usage = {"input_tokens": reply.usage[0], "output_tokens": reply.usage[1]} if reply.usage else None
        return json.dumps({
            "id": "msg_scripted", "type": "message", "role": "assistant", "model": model,
            "content": [{"type": "text", "text": reply.text}], "stop_reason": "end_turn", "stop_sequence": None,
            "usage": usage or {"input_tokens": 0, "output_tokens": 0},
        }).encode()  # fmt: skip
    message = {"role": "assistant", "content": reply.text}
    response: dict[str, Any] = {
        "id": "chatcmpl-scripted", "object": "chat.completion", "created": 0, "model": model,
        "choices": [{"index": 0, "message": message, "finish_reason": "stop"}],
    }  # fmt: skip
    if reply.usage is not None:
        i, o = reply.usage
        response["usage"] = {"prompt_tokens": i, "completion_tokens": o, "total_tokens": i + o}
    return json.dumps(response).encode()
