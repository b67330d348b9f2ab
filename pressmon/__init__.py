"""pressmon: the application shell (configuration, CLI) over the stages of the flow."""

__version__ = "0.1.0"
