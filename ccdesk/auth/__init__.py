"""Signing in to Constant Contact (OAuth2 PKCE with a loopback redirect, or the device flow) and keeping the
sign-in (OS keyring, or memory for this session only). No Qt here: the UI adapts these to widgets and signals."""

from .config import DEFAULT_AUTH_BASE, DEFAULT_REDIRECT_URI, DEFAULT_SCOPES, AuthConfig
from .errors import OAuthServerError, SignInCancelled, SignInDenied, SignInError, SignInTimeout, StateMismatch
from .flows import DeviceCode, DeviceFlow, authorize_url, sign_in_pkce
from .session import AuthSession, SessionEvent
from .token_store import KeyringTokenStore, MemoryTokenStore, TokenStore, TokenStoreError
from .tokenset import TokenSet

__all__ = [
    "DEFAULT_AUTH_BASE", "DEFAULT_REDIRECT_URI", "DEFAULT_SCOPES", "AuthConfig", "AuthSession", "DeviceCode",
    "DeviceFlow", "KeyringTokenStore", "MemoryTokenStore", "OAuthServerError", "SessionEvent", "SignInCancelled",
    "SignInDenied", "SignInError", "SignInTimeout", "StateMismatch", "TokenSet", "TokenStore", "TokenStoreError",
    "authorize_url", "sign_in_pkce",
]
