"""The daemon's parts: drive slots, insert/eject, scans, the rip queue, request checks (`Daemon` is in `main`)."""
