"""POSTs to the authorization server (token and device endpoints) as a public client: client_id, never a secret."""

from __future__ import annotations

import json
import logging
from typing import Any

import httpx

from ccdesk.api.errors import MalformedResponse, NetworkError, ServerError, Throttled

from .config import AuthConfig
from .errors import OAuthServerError

log = logging.getLogger(__name__)


class OAuthEndpoint:
    """One httpx client for the authorization server; borrows `http` when given (it is then not closed here)."""

    def __init__(self, config: AuthConfig, *, http: httpx.AsyncClient | None = None, timeout: float = 30.0) -> None:
        self.config = config
        self._own = http is None
        self._http = http or httpx.AsyncClient(timeout=httpx.Timeout(timeout, connect=min(10.0, timeout)),
                                               follow_redirects=False, headers={"Accept": "application/json"})

    async def aclose(self) -> None:
        if self._own:
            await self._http.aclose()

    async def token(self, form: dict[str, str]) -> dict[str, Any]:
        return await self._post(self.config.token_url, {**form, "client_id": self.config.client_id})

    async def device_authorize(self) -> dict[str, Any]:
        return await self._post(self.config.device_authorize_url,
                                {"client_id": self.config.client_id, "scope": self.config.scope})

    async def _post(self, url: str, form: dict[str, str]) -> dict[str, Any]:
        what = form.get("grant_type", "device authorization")
        try:
            response = await self._http.post(url, data=form)
        except httpx.TimeoutException:
            raise NetworkError("The Constant Contact sign-in server did not answer in time. Check the "
                               "connection and try again.") from None
        except httpx.TransportError as exc:
            raise NetworkError(f"Could not reach the Constant Contact sign-in server ({type(exc).__name__}). "
                               "Check the internet connection.") from None
        log.debug("POST %s (%s) -> %s", httpx.URL(url).path, what, response.status_code)
        try:
            body = json.loads(response.content) if response.content else None
        except ValueError:
            body = None
        if response.is_success and isinstance(body, dict):
            return body
        if response.status_code == 429:  # the token endpoint allows about one request a second per app
            raise Throttled("The Constant Contact sign-in server asked ccdesk to slow down. It will try again "
                            "shortly; you stay signed in.", status=429, error_key="too_many_requests")
        if isinstance(body, dict) and body.get("error") == "temporarily_unavailable":
            raise ServerError("The Constant Contact sign-in server is temporarily unavailable. ccdesk will try "
                              "again shortly; you stay signed in.", status=response.status_code,
                              error_key="temporarily_unavailable")
        if isinstance(body, dict) and isinstance(body.get("error"), str) and response.status_code < 500:
            error, description = body["error"], str(body.get("error_description") or "")
            raise OAuthServerError(f"The Constant Contact sign-in server refused: {description or error}",
                                   error=error, description=description, status=response.status_code)
        if response.status_code >= 500:
            raise ServerError(f"The Constant Contact sign-in server had a problem ({response.status_code}). "
                              "Try again in a few minutes.", status=response.status_code)
        raise MalformedResponse(f"The Constant Contact sign-in server answered {response.status_code} with an "
                                "unexpected body.", status=response.status_code)
