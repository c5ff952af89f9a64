"""A stand-in web browser for `BROWSER="python fake_browser.py %s"`: opens the sign-in page, presses Approve on
the sandbox's consent page, and follows the redirects back to ccdesk's loopback listener, like a person would."""

from __future__ import annotations

import re
import sys

import httpx


def main(url: str) -> int:
    with httpx.Client(follow_redirects=True, timeout=20) as web:
        page = web.get(url)
        match = re.search(r'name="request_id" value="([^"]+)"', page.text)
        if match:
            page = web.post(str(page.url.copy_with(query=None)),
                            data={"request_id": match.group(1), "decision": "approve"})
        return 0 if page.status_code == 200 else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
