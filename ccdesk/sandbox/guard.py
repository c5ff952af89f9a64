"""What stands in front of every /v3 request: counting, bearer token (401), scope (403), rate limit and
daily quota (429), then letting time act on queued activities."""

from __future__ import annotations

from starlette.datastructures import Headers
from starlette.types import ASGIApp, Receive, Scope, Send

from . import errors
from .state import Sandbox

REQUIRED_SCOPE = "contact_data"
WRITES = ("PUT", "POST", "PATCH", "DELETE")  # refused for a user without the privilege (`user_may_write`)


class V3Guard:
    def __init__(self, app: ASGIApp, sandbox: Sandbox) -> None:
        self.app = app
        self.sandbox = sandbox

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        sb = self.sandbox
        auth = Headers(scope=scope).get("authorization", "")
        scheme, _, token = auth.partition(" ")
        issued = sb.tokens.lookup(token) if scheme.lower() == "bearer" and token else None
        if issued is None:
            response = errors.object_response(errors.UNAUTHORIZED_BODY, 401)
        elif REQUIRED_SCOPE not in issued.scope.split():
            response = errors.error_response(
                errors.ServiceError.one(403, errors.FORBIDDEN, f"The access token lacks the {REQUIRED_SCOPE} scope."))
        elif not sb.config.user_may_write and scope["method"] in WRITES:
            response = errors.error_response(errors.ServiceError.one(
                403, errors.FORBIDDEN, "The user does not have the privilege to change contacts."))
        else:
            with sb.lock:
                verdict = sb.limiter.check(issued.client_id or issued.token)
            if verdict is None:
                sb.tick()
                await self.app(scope, receive, send)
                return
            with sb.lock:
                sb.refused[verdict] += 1
            body = errors.QUOTA_BODY if verdict == "quota_exceeded" else errors.THROTTLED_BODY
            response = errors.object_response(body, 429)
            if verdict == "throttled" and sb.faults.retry_after:
                response.headers["Retry-After"] = str(sb.faults.retry_after)
        await response(scope, receive, send)
