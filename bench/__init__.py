"""Benchmarks of the Parvis platform: ``python -m bench`` (see docs/performance.md)."""

import warnings

# nameko imports eventlet, which announces its deprecation at import time
warnings.filterwarnings("ignore", message=r"\s*Eventlet is deprecated")
