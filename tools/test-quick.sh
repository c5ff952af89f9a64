#!/usr/bin/env bash
# The developer's default: tools/test.sh without the tests marked slow (the soak, the fault scenarios with
# their own sandboxes, the million-row files and seeds, the multi-process runs). Arguments go to pytest.
set -euo pipefail
exec bash "$(dirname "$0")/test.sh" -m "not slow" "$@"
