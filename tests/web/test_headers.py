"""The pages load nothing from other sites and tell the browser so (CSP), and the API's
documentation page runs a pinned, vendored Swagger UI."""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path

from fastapi.testclient import TestClient

from nightingale.web import headers
from tests.web.conftest import PREFIX, SignIn

STATIC = Path(headers.__file__).resolve().parent / "static"
HTML = {"accept": "text/html"}


def test_the_api_docs_page_loads_swagger_ui_from_this_service_only(client: TestClient) -> None:
    page = client.get(f"{PREFIX}/docs")
    assert page.status_code == 200
    sources = re.findall(r'(?:src|href)="([^"]+)"', page.text)
    assert sources, page.text
    assert all(s.startswith(f"{PREFIX}/static/") for s in sources), sources
    assert "cdn" not in page.text.lower() and "<script>" not in page.text  # no inline script
    for source in sources:
        assert client.get(source).status_code == 200, source
    assert client.get(f"{PREFIX}/openapi.json").status_code == 200


def test_the_vendored_swagger_ui_is_pinned_and_unchanged() -> None:
    pinned = json.loads((STATIC / "swagger-ui" / "VERSION.json").read_text())
    assert pinned["package"] == "swagger-ui-dist" and re.fullmatch(
        r"\d+\.\d+\.\d+", pinned["version"]
    )
    for name, sha256 in pinned["files_sha256"].items():
        assert hashlib.sha256((STATIC / "swagger-ui" / name).read_bytes()).hexdigest() == sha256


def test_every_answer_carries_a_content_security_policy(
    client: TestClient, signed_in: SignIn
) -> None:
    signed_in("rita")
    for url in (f"{PREFIX}/", f"{PREFIX}/docs", f"{PREFIX}/api/me", f"{PREFIX}/nowhere"):
        reply = client.get(url, headers=HTML)
        policy = reply.headers.get("content-security-policy", "")
        assert "default-src 'self'" in policy and "script-src 'self'" in policy, url
        assert (
            "frame-ancestors 'none'" in policy
            and "unsafe-inline" not in policy.split("script-src")[1].split(";")[0]
        ), url
        assert reply.headers["x-content-type-options"] == "nosniff"
