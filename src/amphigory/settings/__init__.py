"""Settings a person edits on the settings page: the declarations (`declared`) and the database store (`store`)."""

from amphigory.settings.declared import SETTINGS, Editable, SettingError
from amphigory.settings.store import SettingsStore

__all__ = ["SETTINGS", "Editable", "SettingError", "SettingsStore"]
