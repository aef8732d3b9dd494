"""The worker: runs filing and transcoding jobs from the queue for a webapp, on this machine or any other.

It imports neither FastAPI nor the webapp: it speaks to the webapp over HTTP (`amphigory_worker.client`) and to
the queue through Huey (`amphigory_worker.queue`).
"""
