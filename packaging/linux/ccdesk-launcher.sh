#!/bin/sh
# ccdesk lives in /opt/ccdesk (a self-contained PyInstaller folder); this puts it on the PATH.
exec /opt/ccdesk/ccdesk "$@"
