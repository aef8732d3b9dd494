"""Telling people: Apprise notifications, browser notifications, media-server refreshes."""

from amphigory.notify.messages import Notice
from amphigory.notify.notifier import Notifier, NotifyError, send

__all__ = ["Notice", "Notifier", "NotifyError", "send"]
