"""Hands-free mode: on insert, count down, rip what the rules pick, file or hold, eject, notify."""

from amphigory.handsfree.flow import HandsFree
from amphigory.handsfree.hold import HELD_NOTE, ensure_named, is_held
from amphigory.handsfree.selection import pick

__all__ = ["HELD_NOTE", "HandsFree", "ensure_named", "is_held", "pick"]
