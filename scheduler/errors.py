"""The scheduler's errors."""


class ScheduleError(Exception):
    """A job's schedule cannot be turned into a trigger; the message names the job."""
