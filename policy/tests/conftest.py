"""The pack's modules are top-level (CrossGuard runs policy/__main__.py from policy/)."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
