"""A keep-alive HTTP client that times each request, as one sequential client (or one of many) would."""

import http.client
import json
import time
from dataclasses import dataclass
from urllib.parse import urlencode

SCIM_JSON = "application/scim+json"


@dataclass
class Reply:
    status: int
    headers: dict[str, str]
    body: bytes
    seconds: float

    def json(self) -> dict:
        return json.loads(self.body)


class Client:
    """One persistent connection to 127.0.0.1:port; reconnects when the server closes it."""

    def __init__(self, port: int, *, token: str = "", timeout: float = 120):
        self.port = port
        self.timeout = timeout
        self.headers = {"Authorization": f"Bearer {token}"} if token else {}
        self.connection = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)

    def request(self, method: str, path: str, *, body: bytes | None = None, headers: dict | None = None) -> Reply:
        all_headers = {**self.headers, **(headers or {})}
        for attempt in (1, 2):
            start = time.perf_counter()
            try:
                self.connection.request(method, path, body=body, headers=all_headers)
                response = self.connection.getresponse()
                data = response.read()
            except (ConnectionError, http.client.RemoteDisconnected, http.client.CannotSendRequest):
                # A keep-alive connection the server closed between requests: reconnect once.
                self.connection.close()
                self.connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=self.timeout)
                if attempt == 2:
                    raise
                continue
            seconds = time.perf_counter() - start
            return Reply(response.status, {k.lower(): v for k, v in response.getheaders()}, data, seconds)
        raise AssertionError("unreachable")

    def scim(self, method: str, path: str, doc: dict | None = None) -> Reply:
        body = json.dumps(doc).encode() if doc is not None else None
        return self.request(method, path, body=body, headers={"Content-Type": SCIM_JSON} if body else None)

    def form(self, path: str, fields: dict[str, str]) -> Reply:
        return self.request(
            "POST",
            path,
            body=urlencode(fields).encode(),
            headers={"Content-Type": "application/x-www-form-urlencoded"},
        )

    def close(self) -> None:
        self.connection.close()
