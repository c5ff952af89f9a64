"""The sandbox OAuth server's small web pieces: its error answer, form and Basic-auth parsing, redirects, pages."""

from __future__ import annotations

import base64
import hashlib
import html
import re
from typing import TYPE_CHECKING
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, RedirectResponse, Response

if TYPE_CHECKING:
    from .oauth import _AuthRequest

AUTHORIZE_PATH = "/oauth2/default/v1/authorize"
NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}


class OAuthError(Exception):
    """An OAuth error answer: {"error", "error_description"} with a 400 (or 401 for client authentication)."""

    def __init__(self, error: str, description: str, status: int = 400) -> None:
        super().__init__(description)
        self.error, self.description, self.status = error, description, status

    def response(self) -> JSONResponse:
        headers = dict(NO_STORE)
        if self.status == 401:
            headers["WWW-Authenticate"] = 'Basic realm="oauth2"'
        return JSONResponse({"error": self.error, "error_description": self.description}, self.status,
                            headers=headers)


def b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def s256(verifier: str) -> str:
    return b64(hashlib.sha256(verifier.encode("ascii")).digest())


def split_scope(value: str) -> list[str]:
    """Scopes are space- or '+'-separated (reference §1); keep order, drop duplicates."""
    return list(dict.fromkeys(s for s in re.split(r"[\s+]+", value) if s))


def norm_user_code(code: str) -> str:
    return re.sub(r"[^A-Z]", "", code.upper())


def parse_form(body: bytes) -> dict[str, str]:
    try:
        return dict(parse_qsl(body.decode("utf-8"), keep_blank_values=True))
    except UnicodeDecodeError:
        return {}


def basic_client(request: Request) -> str | None:
    """The client_id from an `Authorization: Basic` header (any secret is accepted: there is no registry)."""
    header = request.headers.get("authorization", "")
    if not header.lower().startswith("basic "):
        return None
    try:
        decoded = base64.b64decode(header[6:].strip(), validate=True).decode("utf-8")
    except ValueError:
        raise OAuthError("invalid_client", "Malformed HTTP Basic credentials.", 401) from None
    client_id, _, _secret = decoded.partition(":")
    if not client_id:
        raise OAuthError("invalid_client", "Malformed HTTP Basic credentials.", 401)
    return client_id


def redirect_uri_problem(uri: str) -> str | None:
    """Why a redirect URI is refused, or None. Only loopback http URIs with an explicit port are allowed."""
    if not uri:
        return "it is missing"
    try:
        parts = urlsplit(uri)
        port = parts.port
    except ValueError:
        return "it is not a valid URL"
    if parts.scheme != "http" or parts.hostname not in ("127.0.0.1", "localhost"):
        return "it must be http://127.0.0.1:PORT/... or http://localhost:PORT/..."
    if port is None:
        return "it must name a port"
    if parts.fragment or "#" in uri:
        return "fragments are not allowed"
    if parts.username or parts.password:
        return "user information is not allowed"
    return None


def redirect(uri: str, params: dict[str, str], status: int) -> Response:
    parts = urlsplit(uri)
    query = parse_qsl(parts.query, keep_blank_values=True) + [(k, v) for k, v in params.items() if v]
    return RedirectResponse(urlunsplit(parts._replace(query=urlencode(query))), status, headers=NO_STORE)


STYLE = ("body{font-family:system-ui,sans-serif;max-width:36em;margin:3em auto;padding:0 1em}"
          "button{font-size:1em;padding:.4em 1.2em;margin-right:.5em}")


def page(title: str, body: str, status: int = 200) -> HTMLResponse:
    doc = (f"<!doctype html><html lang=en><head><meta charset=utf-8><title>{html.escape(title)}</title>"
           f"<style>{STYLE}</style></head><body><h1>{html.escape(title)}</h1>{body}"
           "<p><small>Constant Contact sandbox authorization server</small></p></body></html>")
    return HTMLResponse(doc, status, headers={**NO_STORE, "X-Frame-Options": "DENY"})


def approval_page(request_id: str, auth: _AuthRequest) -> HTMLResponse:
    return page("Allow access?", f"""<p><b>{html.escape(auth.client_id)}</b> asks to access your Constant Contact
account with the scopes <code>{html.escape(auth.scope)}</code>.</p>
<form method="post" action="{AUTHORIZE_PATH}"><input type="hidden" name="request_id" value="{request_id}">
<button name="decision" value="approve">Approve</button> <button name="decision" value="deny">Deny</button></form>""")
