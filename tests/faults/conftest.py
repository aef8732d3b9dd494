"""The fault suite runs the real processes with the helpers of tests/ui/ui_stack.py."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "ui"))
