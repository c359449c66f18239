"""Search spaces: which values each strategy parameter may take during an optimisation.

A parameter is a float range, an integer range or a list of choices (one choice: a fixed
value). On the command line, ``--param NAME=SPEC`` with SPEC one of:

* ``LOW:HIGH``: a range; integers when both bounds are written as integers (``1:10``),
  else floats (``0.01:0.05``);
* ``LOW:HIGH:STEP``: a stepped range (the grid is ``LOW, LOW+STEP, ..., HIGH``);
* ``LOW:HIGH:log``: a range sampled on a log scale (both bounds > 0);
* ``A,B,C``: choices (numbers, ``true``/``false`` or words);
* ``VALUE``: a fixed value.

A YAML file gives the same (see :mod:`agbotkit.strategies.optimize.spacefile`).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Iterator, Sequence
from typing import Any, Protocol

import attrs

from agbotkit.errors import ConfigError, ConfigIssue

__all__ = [
    "Choice",
    "FloatRange",
    "IntRange",
    "ParamSpec",
    "SearchSpace",
    "Suggester",
    "param_error",
    "parse_param",
    "parse_scalar",
]

#: A value a choice may hold (what Optuna stores as a categorical value).
Scalar = None | bool | int | float | str


class Suggester(Protocol):
    """The part of ``optuna.Trial`` a search space asks values of."""

    def suggest_float(
        self, name: str, low: float, high: float, *, step: float | None = None, log: bool = False
    ) -> float: ...

    def suggest_int(
        self, name: str, low: int, high: int, *, step: int = 1, log: bool = False
    ) -> int: ...

    def suggest_categorical(self, name: str, choices: Sequence[Any]) -> Any: ...


def param_error(name: str, message: str, source: str = "--param") -> ConfigError:
    """A :class:`ConfigError` about parameter ``name`` (path ``params.NAME``)."""
    return ConfigError([ConfigIssue(source, None, f"params.{name}", message)])


def _choices(values: Iterable[Scalar]) -> tuple[Scalar, ...]:
    return tuple(values)


def _specs(specs: Iterable[ParamSpec]) -> tuple[ParamSpec, ...]:
    return tuple(specs)


@attrs.frozen
class FloatRange:
    """A float parameter in ``[low, high]``.

    Attributes:
        name: the parameter (a field of the strategy's ``Config``).
        low: the smallest value.
        high: the largest value.
        step: the spacing of the values, ``None`` for a continuous range.
        log: sample on a log scale (``low`` > 0; no step).
    """

    name: str
    low: float
    high: float
    step: float | None = None
    log: bool = False

    def suggest(self, trial: Suggester) -> float:
        """Ask ``trial`` for a value."""
        return trial.suggest_float(self.name, self.low, self.high, step=self.step, log=self.log)

    def grid(self, points: int) -> list[float]:
        """The grid's values: every step, else ``points`` evenly spaced (log: geometric)."""
        if self.step is not None:
            count = math.floor((self.high - self.low) / self.step + 1e-9) + 1
            # Rounded so 0.1 + 2 * 0.1 is 0.3, the value a user wrote, not 0.30000000000000004.
            return [round(self.low + i * self.step, 12) for i in range(count)]
        if points == 1 or self.low == self.high:
            return [self.low]
        if self.log:
            ratio = math.log(self.high / self.low) / (points - 1)
            return [round(self.low * math.exp(i * ratio), 12) for i in range(points)]
        width = (self.high - self.low) / (points - 1)
        return [round(self.low + i * width, 12) for i in range(points)]

    def bounds(self) -> list[Any]:
        """The values a strategy's ``Config`` must accept for the range to make sense."""
        return [self.low, self.high]


@attrs.frozen
class IntRange:
    """An integer parameter in ``[low, high]``.

    Attributes:
        name: the parameter.
        low: the smallest value.
        high: the largest value.
        step: the spacing of the values.
        log: sample on a log scale (``low`` >= 1, step 1).
    """

    name: str
    low: int
    high: int
    step: int = 1
    log: bool = False

    def suggest(self, trial: Suggester) -> int:
        """Ask ``trial`` for a value."""
        return trial.suggest_int(self.name, self.low, self.high, step=self.step, log=self.log)

    def grid(self, points: int) -> list[int]:
        """Every value of the range, ``step`` apart (``points`` does not thin integers)."""
        return list(range(self.low, self.high + 1, self.step))

    def bounds(self) -> list[Any]:
        """The values a strategy's ``Config`` must accept for the range to make sense."""
        return [self.low, self.high]


@attrs.frozen
class Choice:
    """A parameter taking one of a few values (one value: fixed).

    Attributes:
        name: the parameter.
        choices: the values, in the order given.
    """

    name: str
    choices: tuple[Scalar, ...] = attrs.field(converter=_choices)

    def suggest(self, trial: Suggester) -> Any:
        """Ask ``trial`` for a value."""
        return trial.suggest_categorical(self.name, self.choices)

    def grid(self, points: int) -> list[Any]:
        """Every choice."""
        return list(self.choices)

    def bounds(self) -> list[Any]:
        """Every choice (each must be a value the ``Config`` accepts)."""
        return list(self.choices)


ParamSpec = FloatRange | IntRange | Choice


@attrs.frozen
class SearchSpace:
    """The parameters an optimisation varies (the others keep the stack's values).

    Attributes:
        params: one spec per parameter, in the order given.
    """

    params: tuple[ParamSpec, ...] = attrs.field(converter=_specs)

    def __attrs_post_init__(self) -> None:
        names = [spec.name for spec in self.params]
        for name in names:
            if names.count(name) > 1:
                raise param_error(name, "given more than once")

    def __iter__(self) -> Iterator[ParamSpec]:
        return iter(self.params)

    @property
    def names(self) -> tuple[str, ...]:
        """The parameters' names."""
        return tuple(spec.name for spec in self.params)

    def suggest(self, trial: Suggester) -> dict[str, Any]:
        """One value per parameter, asked of ``trial``."""
        return {spec.name: spec.suggest(trial) for spec in self.params}

    def grid(self, points: int = 5) -> dict[str, list[Any]]:
        """The grid: the values of each parameter (ranges without a step get ``points``)."""
        return {spec.name: spec.grid(points) for spec in self.params}

    def grid_size(self, points: int = 5) -> int:
        """How many points the grid has (the product of the values per parameter)."""
        return math.prod(len(values) for values in self.grid(points).values())

    def describe(self) -> dict[str, Any]:
        """Plain data (JSON, study attributes) that says what the space is."""
        out: dict[str, Any] = {}
        for spec in self.params:
            data = attrs.asdict(spec)
            data.pop("name")
            out[spec.name] = {"kind": type(spec).__name__, **data}
            if isinstance(spec, Choice):
                out[spec.name]["choices"] = list(spec.choices)
        return out

    @classmethod
    def from_args(cls, args: Sequence[str]) -> SearchSpace:
        """The space of ``--param NAME=SPEC`` arguments.

        Raises:
            ConfigError: an argument is malformed (naming its parameter).
        """
        specs = []
        for arg in args:
            name, sep, text = arg.partition("=")
            name = name.strip()
            if not sep or not name:
                raise ConfigError(
                    [ConfigIssue("--param", None, "", f"expected NAME=SPEC, got {arg!r}")]
                )
            specs.append(parse_param(name, text.strip()))
        return cls(specs)


def parse_scalar(text: str) -> Scalar:
    """A choice written on the command line: int, float, true/false, null, else the text."""
    lowered = text.lower()
    if lowered in ("true", "false"):
        return lowered == "true"
    if lowered in ("null", "none", "~"):
        return None
    for number in (int, float):
        try:
            return number(text)
        except ValueError:
            continue
    return text


def _number(name: str, text: str) -> int | float:
    value = parse_scalar(text.strip())
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise param_error(name, f"expected a number, got {text.strip()!r}")
    if not math.isfinite(value):
        raise param_error(name, f"expected a finite number, got {text.strip()!r}")
    return value


def parse_param(name: str, text: str) -> ParamSpec:
    """The spec of one parameter from its ``SPEC`` text (see the module docstring).

    Raises:
        ConfigError: the spec is malformed (naming the parameter).
    """
    if not text:
        raise param_error(name, "no values given (expected LOW:HIGH[:STEP|:log], A,B,C or VALUE)")
    if "," in text:
        return Choice(name, [parse_scalar(part.strip()) for part in text.split(",")])
    if ":" not in text:
        return Choice(name, [parse_scalar(text)])
    parts = text.split(":")
    if len(parts) not in (2, 3):
        raise param_error(name, f"expected LOW:HIGH, LOW:HIGH:STEP or LOW:HIGH:log, got {text!r}")
    low, high = _number(name, parts[0]), _number(name, parts[1])
    log = len(parts) == 3 and parts[2].strip().lower() == "log"
    step = None if len(parts) == 2 or log else _number(name, parts[2])
    return make_range(name, low, high, step=step, log=log)


def make_range(
    name: str, low: float, high: float, *, step: float | None = None, log: bool = False
) -> ParamSpec:
    """A checked :class:`IntRange` (all numbers integers) or :class:`FloatRange`.

    Raises:
        ConfigError: bounds reversed, a step <= 0, or a log range not above 0.
    """
    if high < low:
        raise param_error(name, f"the range's high {high} is below its low {low}")
    if step is not None and step <= 0:
        raise param_error(name, f"the step must be > 0, got {step}")
    if log and low <= 0:
        raise param_error(name, f"a log range must be above 0, got low {low}")
    integers = all(isinstance(v, int) for v in (low, high, 1 if step is None else step))
    if integers:
        return IntRange(name, int(low), int(high), int(step or 1), log)
    return FloatRange(name, float(low), float(high), None if step is None else float(step), log)
