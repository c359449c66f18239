"""agbotkit: a Trio framework for running trading bots on Polymarket."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("agbotkit")
except PackageNotFoundError:  # pragma: no cover - running from a source tree without install
    __version__ = "0.0.0"

__all__ = ["__version__"]
