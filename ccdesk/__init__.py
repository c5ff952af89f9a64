"""ccdesk: manage opt-outs in a Constant Contact account from the desktop."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("ccdesk")
except PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0.0.0+source"
