"""Scanning: what is on a disc (native readers or MakeMKV), normalised to a ScanResult, then classified."""
