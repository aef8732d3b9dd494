"""The webapp's side of the job queue: the record of each job (`records`), leases, heartbeats and re-runs
(`service`), the routes workers call (`api`), local worker processes (`local`) and transcode presets (`presets`).
The workers' side is `amphigory_worker`."""
