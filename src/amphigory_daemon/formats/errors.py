"""The one base class for every error a disc-format reader raises on malformed input."""


class FormatError(ValueError):
    """Input bytes or text that a format reader cannot make sense of."""
