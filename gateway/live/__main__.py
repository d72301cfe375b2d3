"""``python -m gateway.live``: the live hub process (see :mod:`gateway.live.server`)."""

import warnings

# the operator reads the hub's own lines, not eventlet's notice at every start
warnings.filterwarnings("ignore", message=r"\s*Eventlet is deprecated")

import eventlet  # noqa: E402

eventlet.monkey_patch()  # noqa: E402  (must run before anything imports socket/threading)

import sys  # noqa: E402

from .server import main  # noqa: E402

sys.exit(main())
