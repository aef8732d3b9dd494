"""The webapp's side of the daemon wire, one job per module (`amphigory.websocket` mounts it as `/ws`, `/ws/browser`).

`connections` (the `ConnectionManager`), `daemon_link` (one daemon's connection and its requests),
`daemon_session` (hello, the receive loop, answering daemons' requests, drive re-sync), `delivery` (each event
applied once, in order), `drive_mirror` (every connected daemon's drives), `browser_feed` (the read-only feed),
`frames` (reading and closing sockets) and `errors` (why a request to a daemon failed).
"""
