"""Sign-in errors. They extend the API client's ApiError, so the UI shows `.message` the same way for both."""

from __future__ import annotations

from ccdesk.api.errors import ApiError


class SignInError(ApiError):
    """Signing in did not work; `message` says why in plain words."""


class SignInDenied(SignInError):
    """The user pressed Deny (or closed the consent) in the browser."""


class SignInCancelled(SignInError):
    """The user cancelled the sign-in in ccdesk."""


class SignInTimeout(SignInError):
    """No answer from the browser, or the device code expired before it was approved."""

    retryable = True


class StateMismatch(SignInError):
    """The browser came back with a `state` that is not ours: a stale tab or a forged request."""


class OAuthServerError(SignInError):
    """The authorization server answered with an OAuth error body ({"error", "error_description"})."""

    def __init__(self, message: str, *, error: str, description: str = "", status: int | None = None) -> None:
        super().__init__(message, status=status, error_key=error)
        self.error = error
        self.description = description
