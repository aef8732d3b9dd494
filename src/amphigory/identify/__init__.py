"""Identification: what a disc holds (film, series and its episodes, album), from public databases.

`result` holds the answer's shape. The decision (candidates, explained scores, when an answer is certain) is pure
and lives beside it; the service clients are in `amphigory.metadata`.
"""
