"""The errors a user of the package can cause. Their messages are written to be shown on a page."""

from pathlib import Path


class VaeError(Exception):
    """Base class: anything the package refuses, with a message fit for a person."""


class CheckpointError(VaeError):
    """A weights file that cannot be trusted or used. The message names the file and the reason."""

    def __init__(self, path: str | Path, reason: str):
        self.path = Path(path)
        self.reason = reason
        super().__init__(f"{self.path.name}: {reason}")


class InputError(VaeError):
    """An input (an upload, a data file, a value) that cannot be used as it is."""
