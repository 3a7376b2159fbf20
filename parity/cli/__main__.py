"""`python -m parity.cli` == `parity`."""

import sys

try:
    from parity.cli import main
except KeyboardInterrupt:  # Ctrl-C while Python was still importing us: nothing started, nothing to stop
    print("parity: interrupted", file=sys.stderr)
    sys.exit(130)

sys.exit(main())
