"""Tasks: the webapp's persisted record of every scan, rip, eject and filing, and what came of it.

`service` (`TaskService`: creates tasks, sends their requests, cancel and retry), `daemon_events` (what each
daemon event does to tasks), `records` (every change written, then pushed to browsers as
`{"type": "task", "task": {...}}`), `sql` (the `tasks` table as plain functions) and `models` (`Task`,
`TaskProblem`, statuses). The names below are the package's public face; import them from `amphigory.tasks`.

Nothing stays running forever: when a daemon disconnects its unfinished tasks fail ("daemon X disconnected"), and
when the webapp starts, tasks left unfinished by the previous run fail ("webapp restarted during the task"). Those
two failures are beliefs, not facts: if the daemon later reconnects and replays events for such a task, the events
win and the task carries on. Events only ever apply to a task of the daemon that sent them.
"""

from amphigory.tasks.models import ACTIVE, WEBAPP, LocalRunner, RipListener, Task, TaskProblem, TaskStatus, TaskType
from amphigory.tasks.service import TaskService, output_name
from amphigory.tasks.sql import insert_task, select_task, select_tasks, update_task

__all__ = [
    "ACTIVE", "WEBAPP", "LocalRunner", "RipListener", "Task", "TaskProblem", "TaskService", "TaskStatus",
    "TaskType", "insert_task", "output_name", "select_task", "select_tasks", "update_task",
]
