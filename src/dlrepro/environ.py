"""The two environment settings the workflow honours (both optional, so no `envvars:` directive)."""

from __future__ import annotations

import os

__all__ = ["DATA_DIR_VARIABLE", "resolve_data_dir", "prepend_pythonpath"]

DATA_DIR_VARIABLE = "DLREPRO_DATA_DIR"


def resolve_data_dir(config_value: str) -> str:
    """The offline data directory: the config key wins, then $DLREPRO_DATA_DIR; "" means download."""
    data_dir = config_value or os.environ.get(DATA_DIR_VARIABLE, "")
    if data_dir and not os.path.isdir(data_dir):
        source = "data_dir" if config_value else DATA_DIR_VARIABLE
        raise ValueError(f"{source}={data_dir!r} is not a directory")
    return os.path.abspath(data_dir) if data_dir else ""


def prepend_pythonpath(path: str) -> None:
    """Let jobs (also in conda environments) import the package from this checkout."""
    current = os.environ.get("PYTHONPATH")
    os.environ["PYTHONPATH"] = os.pathsep.join(p for p in (path, current) if p)


def use_matplotlibrc(path: str) -> None:
    """Make every figure job (a child process) read the matplotlib settings in `path`."""
    os.environ["MATPLOTLIBRC"] = path
