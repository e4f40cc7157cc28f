"""Result downloads across hosts and redirects (the key never leaves for them), and the API reply size cap."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from modellix_typed._core import exchange
from modellix_typed.errors import DownloadError, ResponseTooLarge, SubmissionOutcomeUnknown
from tests.flavours import either_client, flavours

from .conftest import API_KEY, FAST_POLL, FAST_RETRY, Answer, PlainServer, envelope

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
IMAGE = Answer(200, PNG, (("Content-Type", "image/png"),))
TASK = "/api/v1/tasks/task-9"


def redirect(location: str, status: int = 302) -> Answer:
    return Answer(status, b"", (("Location", location),))


def finished(server: PlainServer, url: str) -> None:
    server.on("GET", TASK, envelope({"task_id": "task-9", "status": "completed", "resources": [url]}))


def fetch_and_download(flavour: str, server: PlainServer, folder: Path, **kw: object) -> list[Path]:
    settings: dict[str, object] = {"base_url": server.base_url, "poll_policy": FAST_POLL, "retry_policy": FAST_RETRY}
    settings.update(kw)
    with either_client(flavour, API_KEY, **settings) as client:
        return client.download(client.tasks.get("task-9"), folder)  # type: ignore[no-any-return]


@flavours
def test_redirects_across_two_hosts_are_followed_and_the_key_goes_to_the_api_only(
    flavour: str, server: PlainServer, other_server: PlainServer, tmp_path: Path
) -> None:
    # The result URL is on the API host itself, then hops to a second host, then a relative hop there.
    finished(server, f"{server.base_url}/files/task-9/0.png")
    server.on("GET", "/files/task-9/0.png", redirect(f"{other_server.base_url}/cdn/tmp", 307))
    other_server.on("GET", "/cdn/tmp", redirect("/cdn/final.png", 301))
    other_server.on("GET", "/cdn/final.png", IMAGE)
    [saved] = fetch_and_download(flavour, server, tmp_path)
    assert saved.read_bytes() == PNG
    api_calls = [s for s in server.requests() if s.path.startswith("/api/")]
    file_calls = [s for s in server.requests() if not s.path.startswith("/api/")] + other_server.requests()
    assert [s.path for s in file_calls] == ["/files/task-9/0.png", "/cdn/tmp", "/cdn/final.png"]
    assert all(s.headers.get("authorization") == f"Bearer {API_KEY}" for s in api_calls) and api_calls
    assert not any("authorization" in s.headers for s in file_calls)
    assert not any(API_KEY in str(s.headers) for s in file_calls)


def test_an_injected_client_with_a_default_auth_header_still_sends_no_key_to_result_hosts(
    server: PlainServer, other_server: PlainServer, tmp_path: Path
) -> None:
    finished(server, f"{other_server.base_url}/a.png")
    other_server.on("GET", "/a.png", redirect("/b.png"))
    other_server.on("GET", "/b.png", IMAGE)
    # A client that follows redirects on its own must not bypass the per-hop checks either.
    with httpx.Client(headers={"Authorization": f"Bearer {API_KEY}"}, follow_redirects=True) as http:
        fetch_and_download("sync", server, tmp_path, http_client=http)
        assert [s.path for s in other_server.requests()] == ["/a.png", "/b.png"]
        assert not any("authorization" in s.headers for s in other_server.requests())
        other_server.on("GET", "/a.png", redirect("http://files.example.com/x.png"))
        with pytest.raises(DownloadError, match="plain http is only allowed for loopback"):
            fetch_and_download("sync", server, tmp_path / "again", http_client=http)


@flavours
def test_more_than_five_redirects_are_refused_and_nothing_is_saved(
    flavour: str, server: PlainServer, tmp_path: Path
) -> None:
    finished(server, f"{server.base_url}/r/0")
    for hop in range(7):
        server.on("GET", f"/r/{hop}", redirect(f"/r/{hop + 1}"))
    server.on("GET", "/r/7", IMAGE)
    with pytest.raises(DownloadError, match="more than 5 redirects"):
        fetch_and_download(flavour, server, tmp_path)
    assert [s.path for s in server.requests("GET")][1:] == [f"/r/{hop}" for hop in range(6)]
    assert list(tmp_path.iterdir()) == []


@flavours
@pytest.mark.parametrize("target", ["http://files.example.com/x.png", "https://user:pw@cdn.example/x.png", "ftp://x/y"])
def test_a_redirect_target_is_checked_like_the_first_url(
    flavour: str, server: PlainServer, tmp_path: Path, target: str
) -> None:
    finished(server, f"{server.base_url}/files/x.png")
    server.on("GET", "/files/x.png", redirect(target))
    with pytest.raises(DownloadError, match="redirect 1") as caught:
        fetch_and_download(flavour, server, tmp_path)
    assert ":pw@" not in str(caught.value) and list(tmp_path.iterdir()) == []
    assert [s.path for s in server.requests("GET")] == [TASK, "/files/x.png"]  # the target was never asked


@flavours
def test_a_redirect_without_location_is_a_download_error(flavour: str, server: PlainServer, tmp_path: Path) -> None:
    finished(server, f"{server.base_url}/files/x.png")
    server.on("GET", "/files/x.png", Answer(302, b""))
    with pytest.raises(DownloadError, match="without a Location"):
        fetch_and_download(flavour, server, tmp_path)


@flavours
def test_api_replies_are_capped(flavour: str, server: PlainServer, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(exchange, "MAX_API_RESPONSE_BYTES", 1000)
    big = envelope({"task_id": "task-9", "status": "pending", "pad": "x" * 5000})
    server.on("GET", TASK, big)
    server.on("POST", "/api/v1/google/nano-banana", big)
    with either_client(flavour, API_KEY, base_url=server.base_url, retry_policy=FAST_RETRY) as client:
        with pytest.raises(ResponseTooLarge):
            client.tasks.get("task-9")
        with pytest.raises(SubmissionOutcomeUnknown, match="larger than 1000 bytes"):
            client.submit("google/nano-banana", {"prompt": "x"})
    assert len(server.requests("POST")) == 1
