"""`/docs` works without the internet: every asset comes from Syncline itself."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from urllib.parse import urljoin

from tests.api.conftest import Server

EXTERNAL = re.compile(r"(https?:)?//[A-Za-z0-9.-]+\.[A-Za-z]{2,}")
CONTENT_TYPES = {
    ".js": ("application/javascript", "text/javascript"),
    ".css": ("text/css",),
    ".png": ("image/png",),
    ".map": ("application/json",),
}


class _References(HTMLParser):
    """The URLs a page loads: scripts, stylesheets, icons and images."""

    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for name, value in attrs:
            if name in ("src", "href") and value and tag in ("script", "link", "img"):
                self.urls.append(value)


def _css_references(css: str) -> list[str]:
    found = re.findall(r"url\(\s*['\"]?([^'\")]+)['\"]?\s*\)", css)
    found += re.findall(r"sourceMappingURL=(\S+?)\s*\*/", css)
    return [url for url in found if not url.startswith("data:")]


def _assert_served(server: Server, url: str) -> str:
    response = server.client.get(url)
    assert response.status_code == 200, url
    suffix = url[url.rfind(".") :]
    content_type = response.headers["content-type"].split(";")[0].strip()
    assert content_type in CONTENT_TYPES[suffix], (url, content_type)
    return response.text if suffix in (".css", ".js") else ""


def test_docs_reference_no_external_url(server: Server) -> None:
    response = server.client.get("/docs")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    assert EXTERNAL.findall(response.text) == []
    # The bundle's default would send the document's address to validator.swagger.io.
    assert '"validatorUrl": null' in response.text
    assert "url: '/openapi.json'" in response.text


def test_every_docs_asset_is_served_with_its_content_type(server: Server) -> None:
    page = server.client.get("/docs").text
    parser = _References()
    parser.feed(page)
    assert len(parser.urls) >= 3, parser.urls  # the script, the stylesheet, the icon
    checked = []
    pending = [urljoin("http://testserver/docs", url) for url in parser.urls]
    while pending:
        url = pending.pop()
        assert url.startswith("http://testserver/"), url
        text = _assert_served(server, url)
        checked.append(url)
        if url.endswith(".css"):
            pending += [urljoin(url, ref) for ref in _css_references(text)]
        elif url.endswith(".js"):
            pending += [urljoin(url, ref) for ref in re.findall(r"sourceMappingURL=(\S+)", text)]
    assert any(url.endswith("swagger-ui-bundle.js") for url in checked)
    assert any(url.endswith("swagger-ui.css") for url in checked)


def test_the_document_is_served_and_redoc_is_off(server: Server) -> None:
    assert server.client.get("/openapi.json").status_code == 200
    redoc = server.client.get("/redoc")
    assert redoc.status_code == 404
    # Paths outside the API are the web UI's: a page says there is none.
    assert "There is no page here." in redoc.text
