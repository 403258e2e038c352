"""Run configuration: TOML files into frozen dataclasses, strictly.

Every section is a frozen dataclass with concrete defaults, so a config file
only states what differs from the default job (``configs/sp500.toml``, which a
test keeps equal to ``RunConfig()``). Unknown keys, wrong types and values
outside an option set are refused with :class:`ConfigError` naming the key,
the value, the rule and the valid choices.

Example
-------
.. code-block:: toml

    name = "nasdaq"

    [data]
    source = "embedded:nasdaq"
    start = "2000-01-01"

    [features]
    target = "yang_zhang"
"""

from __future__ import annotations

import dataclasses
import difflib
import math
import re
import tomllib
import types
import typing
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar, Literal, Union, cast, get_args, get_origin

from core.errors import ConfigError, ParameterError, TradecastDeprecationWarning
from core.tomlwriter import to_toml, toml_value
from engine.data import DataSpec
from engine.executors import Executor
from engine.overrides import apply_overrides
from engine.splits import (
    Refits,
    Rule,
    Schedule,
    WalkForward,
    Window,
    check_fold_keys,
    check_restart_keys,
    start_date,
)
from signals.base import BaseForecaster
from signals.combination import Combination, CombinationWeights
from signals.features import FeatureSpec
from signals.registry import FORECASTERS
from signals.tail_risk import TailMethod
from strategies.spec import StrategySpec

__all__ = [
    "DEFAULT_FORECASTERS",
    "NAME_PATTERN",
    "RESERVED_NAMES",
    "CombinationConfig",
    "ConfigError",
    "DataConfig",
    "FeaturesConfig",
    "ForecasterConfig",
    "RiskConfig",
    "RunConfig",
    "StrategyConfig",
    "WalkForwardConfig",
    "check_name",
    "find_config",
    "from_dict",
    "load_config",
    "shipped_configs",
    "to_annotated_toml",
    "to_dict",
]

#: Where networks run (as :data:`signals.rnn.Device`, not imported from there: that imports torch).
Device = Literal["auto", "cpu", "cuda"]


#: Names a run or a forecaster may have: a letter or digit, then letters, digits,
#: ".", "_" or "-" (64 at most): safe as a folder name, a column and an HTML text.
NAME_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")
#: Column and row names the engine itself uses; a forecaster may not take one.
RESERVED_NAMES = frozenset({"fold", "symbol", "date", "buy_and_hold", "equal_weight", "model", "strategy", "scheme"})


def check_name(name: object, key: str) -> str:
    """``name`` if it is a safe run or forecaster name, else :class:`ConfigError`."""
    if not isinstance(name, str) or not NAME_PATTERN.fullmatch(name) or ".." in name:
        raise ConfigError(
            f"{key} = {name!r} is not a valid name: use 1 to 64 letters, digits, '.', '_' or '-', starting with a "
            f"letter or digit (no spaces, slashes or '..'). Hint: {key} = \"sp500_gru\"."
        )
    return name


def _unknown(names: list[str], what: str, where: str, valid: list[str]) -> str:
    """Every unknown key of a table in one message, each with its closest valid name."""
    if len(names) == 1:
        hint = _did_you_mean(names[0], valid)
        return f"unknown {what} {names[0]!r} in {where}; valid {what}s are: {', '.join(valid)}.{hint}"
    each = "; ".join(f"{n!r}{_did_you_mean(n, valid).replace(' Did you mean', ': did you mean')}" for n in names)
    return f"{len(names)} unknown {what}s in {where}: {each}. Valid {what}s are: {', '.join(valid)}."


def _did_you_mean(value: str, options) -> str:
    """`` Did you mean 'x'?`` for the closest option, or nothing."""
    close = difflib.get_close_matches(value, list(options), n=1)
    return f" Did you mean {close[0]!r}?" if close else ""


#: ``[data]``: where the bars come from. It is :class:`engine.data.DataSpec` itself.
DataConfig = DataSpec

#: ``[features]``: how each symbol's features are built. It is
#: :class:`signals.features.FeatureSpec` itself.
FeaturesConfig = FeatureSpec


@dataclass(frozen=True)
class RiskConfig:
    """``[risk]``: Value-at-Risk and expected shortfall from every one-day variance
    forecaster (:func:`signals.tail_risk.tail_forecasts`) and their backtests
    (:func:`reports.tail_tests.tail_table`). ``methods = []`` leaves them out.
    """

    levels: tuple[float, ...] = (0.01, 0.05)
    methods: tuple[TailMethod, ...] = ("normal", "t", "fhs")
    min_history: int = 250

    def __post_init__(self) -> None:
        bad = [a for a in self.levels if not 0.0 < a < 0.5]
        if bad or not self.levels:
            raise ConfigError(
                f"risk.levels must be tail probabilities in (0, 0.5); got {list(self.levels)}. Hint: [0.01, 0.05] "
                "(0.01, not 0.99)."
            )
        if self.min_history < 20:
            raise ConfigError(
                f"risk.min_history must be >= 20 earlier days; got {self.min_history}. Hint: 250, a year."
            )


@dataclass(frozen=True)
class WalkForwardConfig:
    """``[walkforward]``: folds and how to run them (see :class:`engine.splits.WalkForward`
    and :func:`engine.walkforward.walk_forward`).

    The out-of-sample period starts at ``start`` (an ISO date), or at the row
    ``start_row``, or ``train_fraction = 0.8`` makes one chronological split (80 %
    of rows to train, the rest to test, no refit). A table that sets
    ``start_row`` or ``train_fraction`` must not set ``start`` too.
    ``warm_start`` is the deprecated spelling of ``refits``.
    """

    RENAMED: ClassVar[dict[str, str]] = {"warm_start": "refits"}

    start: str = "2008-01-01"
    refit_every: int | Rule = "year"
    window: Window = "expanding"
    train_length: int | None = None
    min_train: int = 252
    embargo: int = 0
    n_jobs: int = 1
    executor: Executor = "process"
    #: With ``executor = "ray"``: the address of a running Ray cluster ("HOST:PORT"); empty for
    #: ``$RAY_ADDRESS`` or else a new local cluster. ``tradecast run --ray-address`` sets it.
    ray_address: str | None = None
    refits: Refits = "cold"
    pooled: bool = False
    audit: bool = False
    start_row: int | None = None
    train_fraction: float | None = None
    #: Where every network trains and forecasts ("auto": a CUDA device when torch sees one, else
    #: the CPU); unset, each network's own ``device`` (default "auto"). A network table that sets
    #: ``device`` itself keeps it. ``tradecast run --device`` sets this key.
    device: Device | None = None

    def __post_init__(self) -> None:
        if self.start_row is not None and self.train_fraction is not None:
            raise ConfigError(
                f"walkforward: give start_row or train_fraction, not both; got {self.start_row} and "
                f"{self.train_fraction}."
            )
        if self.start_row is not None and self.start_row < 1:
            raise ConfigError(f"walkforward.start_row must be a row number >= 1; got {self.start_row}.")
        if self.train_fraction is not None and not 0 < self.train_fraction < 1:
            raise ConfigError(
                f"walkforward.train_fraction must be in (0, 1); got {self.train_fraction}. Hint: 0.8 trains on the "
                "first 80 % of rows."
            )
        if isinstance(self.n_jobs, bool) or not isinstance(self.n_jobs, int) or self.n_jobs < 1:
            raise ConfigError(
                f"walkforward.n_jobs must be an integer >= 1 (worker processes); got {self.n_jobs!r}. Hint: n_jobs = 2."
            )
        try:
            check_fold_keys("[walkforward]", **{k: getattr(self, k) for k in FOLD_KEYS})
            if self.start_row is None and self.train_fraction is None:
                start_date("walkforward.start", self.start)
        except ParameterError as exc:
            raise ConfigError(str(exc)) from None

    def splitter(self) -> WalkForward:
        """The splitter: from ``start_row`` (a row number) or ``train_fraction`` (one
        chronological split) when set, else from the ``start`` date.
        """
        start = (
            self.start_row if self.start_row is not None else None if self.train_fraction is not None else self.start
        )
        return WalkForward(
            start=start,
            refit_every=self.refit_every,
            window=self.window,
            train_length=self.train_length,
            min_train=self.min_train,
            embargo=self.embargo,
            train_fraction=self.train_fraction,
        )

    def schedule_for(self, forecaster: ForecasterConfig) -> Schedule | None:
        """The schedule of a forecaster with one of its own (None without one): this
        table's splitter with the forecaster's keys in place of these, and its own
        ``refits`` and ``cold_every`` when it sets them.
        """
        if not forecaster.schedule:
            return None
        keys = dict(forecaster.schedule)
        own = {k: keys.pop(k) for k in ("refits", "cold_every") if k in keys}
        return Schedule(dataclasses.replace(self.splitter(), **keys), **own)

    def describe(self) -> str:
        """Where the out-of-sample period starts and how often models are refit, in words."""
        if self.train_fraction is not None:
            return f"one split: the first {100 * self.train_fraction:g} % of rows to train, the rest to test, no refit"
        start = f"row {self.start_row}" if self.start_row is not None else self.start
        every = f"{self.refit_every} rows" if isinstance(self.refit_every, int) else self.refit_every
        return f"out of sample from {start}, refit every {every}"


#: ``[strategy]``: how every variance forecaster is traded. It is
#: :class:`strategies.spec.StrategySpec` itself, so the config, the Python API
#: (:func:`strategies.evaluate.strategy_table`) and the README's example share
#: one set of defaults.
StrategyConfig = StrategySpec


@dataclass(frozen=True)
class ForecasterConfig:
    """One ``[[forecasters]]`` table: ``name``, ``type`` (a key of
    :data:`signals.registry.FORECASTERS`), that class's hyperparameters, and
    optionally a refit schedule of its own: any of :data:`SCHEDULE_KEYS`
    (``refit_every = 1``, ``window = "rolling"``, ``train_length = 1000`` for a
    HAR-X refit daily on 1,000 rows), overriding ``[walkforward]``'s for this
    model; the out-of-sample start stays ``[walkforward]``'s, so every model is
    scored on the same dates.
    """

    name: str
    type: str
    params: tuple[tuple[str, Any], ...] = ()
    schedule: tuple[tuple[str, Any], ...] = ()

    @classmethod
    def from_mapping(cls, mapping: Any, where: str) -> ForecasterConfig:
        """Read one ``[[forecasters]]`` table; ``where`` names it in errors."""
        kind = _checked_identity(mapping, where)
        # window = 22 on a rolling forecaster is its deprecated length, not a schedule's "rolling"/"expanding"
        own_param = FORECASTERS[kind]._renamed
        flat = {
            k: mapping[k]
            for k in SCHEDULE_KEYS
            if k in mapping and not (k in own_param and not isinstance(mapping[k], str))
        }
        if "search" in mapping and kind != "search":
            mapping, kind = _searched(mapping, kind, flat, where), "search"
        mapping = _flat_into_component(mapping, kind, flat, where)
        schedule = _schedule_of(mapping, flat, where)
        params = _params_of(mapping, kind, flat, where)
        spec = cls(name=mapping["name"], type=kind, params=tuple(params.items()), schedule=tuple(schedule.items()))
        try:
            spec.build().validate_params()
        except ParameterError as exc:
            raise ConfigError(f"{where} ({mapping['name']!r}): {exc}") from None
        return spec

    def build(self, device: Device | None = None) -> BaseForecaster:
        """A new, unfitted forecaster (the forecasters it holds built from their sub-tables).

        ``device`` (the run's ``[walkforward] device``) is given to every network in it whose
        table does not set its own; None leaves each network's own.
        """
        components = getattr(FORECASTERS[self.type], "components", {})
        params = {k: _build_component(v, device) if k in components else v for k, v in self.params}
        model = FORECASTERS[self.type](**_with_device(self.type, params, device))
        for k in components:
            held = getattr(model, k)
            if device is not None and k not in params and "device" in held.get_params():
                # the class's own default network: the run's device reaches it as it reaches a sub-table's
                setattr(model, k, held.clone().set_params(device=device))
        return model


#: Keys of a ``[[forecasters]]`` table that set the model's own refit schedule: the folds
#: (:class:`engine.splits.WalkForward`'s) and how refits start (:class:`engine.splits.Schedule`'s).
SCHEDULE_KEYS = ("refit_every", "window", "train_length", "min_train", "embargo", "refits", "cold_every")

#: The schedule keys that shape folds (the rest choose warm or cold starts), and their defaults.
FOLD_KEYS = SCHEDULE_KEYS[:5]
DEFAULT_SPLIT = WalkForward(start=None)


def _inline(value: Any) -> str:
    """A value as TOML text, for a hint."""
    return toml_value(value)


def _check_schedule(schedule: dict[str, Any], where: str) -> None:
    if not schedule:
        return
    if isinstance(schedule.get("refit_every"), list):
        raise ConfigError(f"{where}.refit_every must be a number of rows or a period; got {schedule['refit_every']!r}.")
    folds = {k: schedule.get(k, getattr(DEFAULT_SPLIT, k)) for k in FOLD_KEYS}
    try:
        check_fold_keys(where, **folds)
        check_restart_keys(where, refits=schedule.get("refits"), cold_every=schedule.get("cold_every"))
    except ParameterError as exc:
        raise ConfigError(str(exc)) from None
    except TypeError as exc:
        raise ConfigError(f"{where}: a schedule key has the wrong type ({exc}).") from None


def _checked_identity(mapping: Any, where: str) -> str:
    """A ``[[forecasters]]`` table's name and type checked; its type."""
    if not isinstance(mapping, dict):
        raise ConfigError(f"{where} must be a table with name, type and parameters; got {mapping!r}.")
    for required in ("name", "type"):
        if not isinstance(mapping.get(required), str):
            raise ConfigError(
                f'{where}.{required} must be a string; got {mapping.get(required)!r}. Hint: name = "lstm", type '
                '= "rnn".'
            )
    check_name(mapping["name"], f"{where}.name")
    if mapping["name"].lower() in RESERVED_NAMES:
        raise ConfigError(
            f"{where}.name = {mapping['name']!r} is reserved: the engine uses {', '.join(sorted(RESERVED_NAMES))} "
            f'for its own columns. Hint: name = "{mapping["name"]}_model".'
        )
    kind = mapping["type"]
    if kind not in FORECASTERS:
        hint = _did_you_mean(kind, FORECASTERS)
        raise ConfigError(f"{where}.type = {kind!r} is not a forecaster; choose one of {', '.join(FORECASTERS)}.{hint}")
    return kind


def _schedule_of(mapping: dict[str, Any], flat: dict[str, Any], where: str) -> dict[str, Any]:
    """A forecaster's own refit schedule: its ``[forecasters.schedule]`` table, or the
    deprecated ``flat`` keys beside its parameters (with a warning that shows the table).
    """
    nested = mapping.get("schedule")
    if nested is not None:
        if not isinstance(nested, dict):
            raise ConfigError(
                f"{where}.schedule must be a table of refit keys ({', '.join(SCHEDULE_KEYS)}); got {nested!r}. "
                "Hint: [forecasters.schedule] with refit_every = 1 under it."
            )
        wrong = [k for k in nested if k not in SCHEDULE_KEYS]
        if wrong:
            raise ConfigError(_unknown(wrong, "key", f"{where}.schedule", list(SCHEDULE_KEYS)))
        if flat:
            raise ConfigError(
                f"{where} sets {', '.join(flat)} beside its parameters and a [forecasters.schedule] table; give "
                "the schedule once, in the table."
            )
    elif flat:
        warnings.warn(
            f"{where} ({mapping['name']!r}): {', '.join(f'{k} = {flat[k]!r}' for k in flat)} beside the model's "
            "parameters is deprecated (window could be a schedule or a rolling model's length); put the "
            "schedule in its own table: [forecasters.schedule] under this [[forecasters]], or schedule = { "
            + ", ".join(f"{k} = {_inline(flat[k])}" for k in flat)
            + " }.",
            TradecastDeprecationWarning,
            stacklevel=3,
        )
    schedule = dict(nested) if nested is not None else flat
    _check_schedule(schedule, where)
    return schedule


def _params_of(mapping: dict[str, Any], kind: str, flat: dict[str, Any], where: str) -> dict[str, Any]:
    """A forecaster table's hyperparameters: known names only (old spellings renamed),
    sub-tables of forecasters inside it read, lists as tuples.
    """
    params = {k: v for k, v in mapping.items() if k not in ("name", "type", "schedule", *flat)}
    unknown = [k for k in params if k not in FORECASTERS[kind].accepted_names()]  # deprecated spellings too
    if unknown:
        raise ConfigError(_unknown(unknown, "parameter", f"{where} (type {kind!r})", FORECASTERS[kind]._param_names()))
    params, _ = _renamed_keys(FORECASTERS[kind]._renamed, params, f"{where}:")
    components = getattr(FORECASTERS[kind], "components", {})
    return {
        k: _component(v, components[k], f"{where}.{k}") if k in components else tuple(v) if isinstance(v, list) else v
        for k, v in params.items()
    }


def _flat_into_component(mapping: dict[str, Any], kind: str, flat: dict[str, Any], where: str) -> dict[str, Any]:
    """A grouped network's table written the old way, the network's keys beside the group's
    (``type = "rnn_ensemble"``, ``cell = "gru"``, ``hidden = [16]``), as the table it means: those
    keys in its ``net`` sub-table, with a warning that shows the new form.
    """
    cls = FORECASTERS[kind]
    into = getattr(cls, "flat_component", None)
    if into is None:
        return mapping
    own = set(cls._param_names()) | {"name", "type", "schedule", "search", *flat}
    components: dict[str, str] = getattr(cls, "components", {})
    inner = FORECASTERS[components[into]]._param_names()
    moved = {k: v for k, v in mapping.items() if k not in own and k in inner}
    if not moved:
        return mapping
    if "hidden" in moved and isinstance(moved["hidden"], int) and not isinstance(moved["hidden"], bool):
        moved["hidden"] = [moved["hidden"]]  # the older spelling of one layer
    if into in mapping:
        raise ConfigError(
            f"{where} sets {', '.join(moved)} beside its parameters and a {into} table; give the network's keys once, "
            f"in {into}."
        )
    defaults = {k: list(v) if isinstance(v, tuple) else v for k, v in getattr(cls, "flat_defaults", {}).items()}
    sub = {**defaults, **moved}
    warnings.warn(
        f"{where} ({mapping.get('name')!r}): {', '.join(moved)} beside the group's own parameters is deprecated: they "
        f"configure the network each member is. Write {into} = {{ "
        + ", ".join(f"{k} = {_inline(v)}" for k, v in sub.items())
        + " } in this [[forecasters]] table (the same network).",
        TradecastDeprecationWarning,
        stacklevel=4,
    )
    return {**{k: v for k, v in mapping.items() if k not in moved}, into: sub}


#: Keys of a ``[forecasters.search]`` table that set the search itself (scalars); its
#: lists are the candidates of the model's parameters.
SEARCH_KEYS = ("trials", "validation", "sampler", "seed")


def _searched(mapping: dict[str, Any], kind: str, flat: dict[str, Any], where: str) -> dict[str, Any]:
    """A ``[[forecasters]]`` table with a ``[forecasters.search]`` sub-table as the
    :class:`signals.search.SearchForecaster` table it means: the model is the table's
    own type and values, the search table's lists are the space, its scalars
    (:data:`SEARCH_KEYS`) the search's settings; the schedule stays the table's.
    """
    search = mapping["search"]
    if not isinstance(search, dict):
        raise ConfigError(
            f"{where}.search must be a table of candidate lists and search settings; got {search!r}. Hint: "
            "[forecasters.search] with lr = [0.001, 0.003] and trials = 8 under it."
        )
    space = {k: v for k, v in search.items() if isinstance(v, list)}
    settings = {k: v for k, v in search.items() if not isinstance(v, list)}
    wrong = [k for k in settings if k not in SEARCH_KEYS]
    if wrong:
        raise ConfigError(
            f"{where}.search: {wrong[0]} = {settings[wrong[0]]!r} is neither a list of candidates nor a search "
            f"setting ({', '.join(SEARCH_KEYS)}). Hint: {wrong[0]} = [{settings[wrong[0]]!r}, ...] to search over it."
        )
    if not space:
        raise ConfigError(
            f"{where}.search has no candidates: give at least one parameter as a list. Hint: lr = [0.001, 0.003]."
        )
    model = {"type": kind}
    model.update((k, v) for k, v in mapping.items() if k not in ("name", "type", "search", "schedule", *flat))
    outer = {k: mapping[k] for k in ("name", "schedule", *flat) if k in mapping}
    return {**outer, "type": "search", "model": model, "space": space, **settings}


def _component(value: Any, kind: str, where: str) -> tuple[tuple[str, Any], ...]:
    """A sub-table that configures a forecaster inside another (a hybrid's ``net`` and
    ``base``): ``type`` (default ``kind``) and that class's parameters, checked by name.
    Kept as a tuple of items (a config is immutable), ``type`` first.
    """
    if not isinstance(value, dict):
        raise ConfigError(f"{where} must be a table of that forecaster's parameters; got {value!r}.")
    sub = dict(value)
    sub_type = sub.pop("type", kind)
    if sub_type not in FORECASTERS:
        raise ConfigError(
            f"{where}.type = {sub_type!r} is not a forecaster; choose one of {', '.join(FORECASTERS)}."
            + _did_you_mean(str(sub_type), FORECASTERS)
        )
    valid = FORECASTERS[sub_type]._param_names()
    unknown = [k for k in sub if k not in valid]
    if unknown:
        raise ConfigError(
            f"unknown parameter {unknown[0]!r} in {where} (type {sub_type!r}); valid parameters are: "
            f"{', '.join(valid)}.{_did_you_mean(unknown[0], valid)}"
        )
    return (("type", sub_type), *((k, tuple(v) if isinstance(v, list) else v) for k, v in sub.items()))


def _build_component(items: tuple[tuple[str, Any], ...], device: Device | None = None) -> BaseForecaster:
    params = dict(items)
    kind = params.pop("type")
    return FORECASTERS[kind](**_with_device(kind, params, device))


def _with_device(kind: str, params: dict[str, Any], device: Device | None) -> dict[str, Any]:
    """``params`` with ``device`` where the forecaster type takes one and the table did not set it."""
    if device is None or "device" in params or "device" not in FORECASTERS[kind]._param_names():
        return params
    return {**params, "device": device}


def _forecaster(name: str, type_: str, /, schedule: dict[str, Any] | None = None, **params: Any) -> ForecasterConfig:
    return ForecasterConfig(
        name=name, type=type_, params=tuple(params.items()), schedule=tuple((schedule or {}).items())
    )


#: The default job's models: the GARCH family, HAR and log-HAR, EWMA, an LSTM and a GRU, and the
#: strongest member of the HAR family chosen on 2004-2007 by ``benchmarks/accuracy.py``: log-HAR-X
#: with leverage terms, refit every day on the last 1,000 rows.
DEFAULT_FORECASTERS: tuple[ForecasterConfig, ...] = (
    _forecaster("garch", "garch", kind="garch"),
    _forecaster("egarch", "garch", kind="egarch"),
    _forecaster("gjr", "garch", kind="gjr"),
    _forecaster("har", "har"),
    _forecaster("loghar", "har", log=True),
    _forecaster("ewma", "ewma"),
    _forecaster("lstm", "rnn", cell="lstm", hidden=(32,), epochs=30, patience=5),
    _forecaster("gru", "rnn", cell="gru", hidden=(32,), epochs=30, patience=5),
    _forecaster("logharx_daily", "harx", schedule={"refit_every": 1, "window": "rolling", "train_length": 1000}),
)


@dataclass(frozen=True)
class CombinationConfig:
    """One ``[[combinations]]`` table: a name and a
    :class:`signals.combination.Combination` of the run's variance forecasters
    (``members``, ``weights``, ``window``, ``min_obs``, ``step``), scored like a model.
    """

    name: str
    members: tuple[str, ...]
    weights: CombinationWeights = "rolling"
    window: int = 500
    min_obs: int = 250
    step: float = 0.05

    def __post_init__(self) -> None:
        check_name(self.name, "combinations.name")
        try:
            self.build()
        except ParameterError as exc:
            raise ConfigError(f"[[combinations]] {self.name!r}: {exc}".replace("Combination: ", "")) from None

    def build(self) -> Combination:
        """The combination (unbound: the walk-forward reads its horizon off its members)."""
        return Combination(
            members=tuple(self.members), weights=self.weights, window=self.window, min_obs=self.min_obs, step=self.step
        )


@dataclass(frozen=True)
class RunConfig:
    """A whole run: a name and one dataclass per section."""

    name: str = "sp500"
    data: DataConfig = field(default_factory=DataConfig)
    features: FeaturesConfig = field(default_factory=FeaturesConfig)
    walkforward: WalkForwardConfig = field(default_factory=WalkForwardConfig)
    strategy: StrategyConfig = field(default_factory=StrategyConfig)
    risk: RiskConfig = field(default_factory=RiskConfig)
    forecasters: tuple[ForecasterConfig, ...] = DEFAULT_FORECASTERS
    combinations: tuple[CombinationConfig, ...] = ()

    def __post_init__(self) -> None:
        check_name(self.name, "name")
        names = [f.name for f in self.forecasters]
        dupes = sorted({n for n in names if names.count(n) > 1})
        if dupes:
            raise ConfigError(f"forecaster names must be unique; {', '.join(map(repr, dupes))} appear more than once.")
        if not names:
            raise ConfigError("a run needs at least one [[forecasters]] table.")
        for c in self.combinations:
            if (
                c.name in names
                or c.name.lower() in RESERVED_NAMES
                or [x.name for x in self.combinations].count(c.name) > 1
            ):
                raise ConfigError(
                    f"[[combinations]] name = {c.name!r} is taken (by a forecaster, another combination or the "
                    'engine). Hint: a name of its own, such as "combo".'
                )
            models = {f.name: f.build() for f in self.forecasters}
            try:
                c.build().bind(models)
            except ParameterError as exc:
                raise ConfigError(f"[[combinations]] {c.name!r}: {exc}".replace("Combination: ", "")) from None
        vm = self.strategy.threshold.variance_model
        if vm:
            variance = [f.name for f in self.forecasters if f.build().target == "variance"]
            if vm not in variance:
                hint = _did_you_mean(vm, variance)
                raise ConfigError(
                    f"strategy.threshold.variance_model = {vm!r} is not a variance forecaster of this run; "
                    f"choose one of {', '.join(map(repr, variance)) or '(none: add a variance forecaster)'}.{hint}"
                )


def _type_name(hint: Any) -> str:
    if get_origin(hint) is Literal:
        return "one of " + ", ".join(repr(a) for a in get_args(hint))
    return getattr(hint, "__name__", str(hint))


def _coerce(value: Any, hint: Any, key: str) -> Any:
    origin = get_origin(hint)
    if hint is ForecasterConfig:
        return ForecasterConfig.from_mapping(value, key)
    if hint is CombinationConfig and isinstance(value, dict) and "name" in value:
        value = dict(value)
        return _build(CombinationConfig, value, key)
    if dataclasses.is_dataclass(hint):
        return _build(cast(type, hint), value, key)
    if origin is Literal:
        if value not in get_args(hint):
            hint_txt = _did_you_mean(str(value), [str(a) for a in get_args(hint)])
            raise ConfigError(
                f"{key} = {value!r} is not allowed; choose one of "
                f"{', '.join(repr(a) for a in get_args(hint))}.{hint_txt}"
            )
        return value
    if origin in (Union, types.UnionType):
        args = [a for a in get_args(hint) if a is not type(None)]
        if value is None and len(args) < len(get_args(hint)):
            return None
        errors = []
        for a in args:
            try:
                return _coerce(value, a, key)
            except ConfigError as exc:
                errors.append(str(exc))
        raise ConfigError(
            errors[0]
            if len(errors) == 1
            else f"{key} = {value!r} matches none of the allowed types: " + "; ".join(errors)
        )
    if origin is dict:
        if not isinstance(value, dict):
            raise ConfigError(
                f"{key} must be a table such as {{ SPX = 0.10 }}; got {value!r} ({type(value).__name__})."
            )
        key_hint, value_hint = get_args(hint)
        return {_coerce(k, key_hint, f"{key} key"): _coerce(v, value_hint, f"{key}.{k}") for k, v in value.items()}
    if origin is tuple:
        if not isinstance(value, (list, tuple)):
            raise ConfigError(f"{key} must be a list; got {value!r} ({type(value).__name__}).")
        item = get_args(hint)[0]
        return tuple(_coerce(v, item, f"{key}[{i}]") for i, v in enumerate(value))
    return _coerce_scalar(value, hint, key)


def _coerce_scalar(value: Any, hint: Any, key: str) -> Any:
    """A TOML scalar checked against a ``bool``, ``int``, ``float`` or ``str`` field."""
    if hint is bool:
        if not isinstance(value, bool):
            raise ConfigError(f"{key} must be true or false; got {value!r}.")
        return value
    if hint is int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise ConfigError(f"{key} must be an integer; got {value!r} ({type(value).__name__}).")
        return value
    if hint is float:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise ConfigError(f"{key} must be a number; got {value!r} ({type(value).__name__}).")
        if not math.isfinite(value):
            raise ConfigError(f"{key} must be a finite number; got {value!r}.")
        return float(value)
    if hint is str:
        if not isinstance(value, str):
            raise ConfigError(
                f"{key} must be a string; got {value!r} ({type(value).__name__}). Hint: quote it in TOML."
            )
        return value
    raise TypeError(f"config field {key} has an unsupported type {hint!r}")  # a bug in tradecast, not in the file


def _renamed_keys(
    renames: Mapping[str, str], mapping: dict[str, Any], label: str
) -> tuple[dict[str, Any], dict[str, str]]:
    """Old key spellings (``renames``, old -> new) moved to their new names, with a
    :class:`~core.errors.TradecastDeprecationWarning`; also new -> old for error messages.
    ``label`` names the table in messages ("[features]", "forecasters[0]:").
    """
    spelled = {}
    for old, new in renames.items():
        if old not in mapping:
            continue
        if new in mapping:
            raise ConfigError(
                f"{label} sets both {old} and {new}, the old and new spelling of one key; keep {new} = "
                f"{toml_value(mapping[old])}."
            )
        warnings.warn(
            f"{label} {old} is deprecated (renamed so that each name has one meaning); write {new} = "
            f"{toml_value(mapping[old])}.",
            TradecastDeprecationWarning,
            stacklevel=4,
        )
        mapping = {new if k == old else k: v for k, v in mapping.items()}
        spelled[new] = old
    return mapping, spelled


def _build(cls: type, mapping: Any, where: str) -> Any:
    section = f"[{where}]" if where else "the top level"
    if not isinstance(mapping, dict):
        raise ConfigError(f"{where or 'config'} must be a table (a [section] in TOML); got {mapping!r}.")
    hints = typing.get_type_hints(cls)
    fields = {f.name: f for f in dataclasses.fields(cls)}
    mapping, spelled = _renamed_keys(getattr(cls, "RENAMED", {}), mapping, f"[{where}]")
    unknown = [k for k in mapping if k not in fields]
    if unknown:
        raise ConfigError(_unknown(unknown, "key", section, list(fields)))
    kwargs = {
        name: _coerce(value, hints[name], f"{where}.{spelled.get(name, name)}" if where else name)
        for name, value in mapping.items()
    }
    try:
        return cls(**kwargs)
    except ConfigError:
        raise
    except (TypeError, ValueError) as exc:
        raise ConfigError(f"{section}: {exc}") from exc


def from_dict(mapping: dict[str, Any]) -> RunConfig:
    """A :class:`RunConfig` from a parsed TOML mapping; missing keys take defaults."""
    wf = mapping.get("walkforward") if isinstance(mapping, dict) else None
    if isinstance(wf, dict) and isinstance(wf.get("start"), int) and not isinstance(wf.get("start"), bool):
        raise ConfigError(
            f'walkforward.start = {wf["start"]} is a number, a year or a row? Hint: start = "{wf["start"]}-01-01" for '
            f"a date, or start_row = {wf['start']} for a row number."
        )
    if isinstance(wf, dict) and "start" in wf:
        other = [k for k in ("start_row", "train_fraction") if wf.get(k) is not None]
        if other:
            raise ConfigError(
                f"[walkforward] sets start = {wf['start']!r} and {other[0]} = {wf[other[0]]!r}; give one of them. "
                f"Hint: start is a date, start_row a row number, train_fraction one chronological split."
            )
    return _build(RunConfig, mapping, "")


def load_config(path: str | Path | None, overrides: Sequence[str] = ()) -> RunConfig:
    """Read a TOML file into a :class:`RunConfig`, with command-line overrides.

    Parameters
    ----------
    path : path or None
        The TOML file; None for the built-in default job (``configs/sp500.toml``).
    overrides : sequence of str
        ``KEY=VALUE`` overrides applied to the file's tables before they are
        checked (:mod:`engine.overrides`; ``tradecast run --set``).

    Raises
    ------
    ConfigError
        The file is missing, is not valid TOML, or holds (or an override sets)
        an unknown key, a wrong type or a value outside its option set.
    """
    if path is None:
        if not overrides:
            return RunConfig()
        try:
            return from_dict(apply_overrides(to_dict(RunConfig()), overrides))
        except ConfigError as exc:
            raise ConfigError(f"the default job with --set {' '.join(overrides)}: {exc}") from None
    path = Path(path)
    if not path.is_file():
        raise ConfigError(
            f"config file not found: {path}. Hint: try configs/sp500.toml, or run without a config for the default job."
        )
    try:
        mapping = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path} is not valid TOML: {exc}") from exc
    _resolve_paths(mapping, path.parent)
    where = f"{path} with --set {' '.join(overrides)}" if overrides else str(path)
    try:
        return from_dict(apply_overrides(mapping, overrides))
    except ConfigError as exc:
        raise ConfigError(f"{where}: {exc}") from None


#: The configs shipped with tradecast (``tradecast run sp500`` finds them by name).
SHIPPED = Path(__file__).resolve().parent / "configs"


def shipped_configs() -> dict[str, Path]:
    """The shipped configs by name (``sp500``, ``sp500_returns``, ...)."""
    return {p.stem: p for p in sorted(SHIPPED.glob("*.toml"))}


def find_config(name_or_path: str | Path) -> Path:
    """A config file: ``name_or_path`` itself when it is a file, else the shipped
    config of that name (``sp500`` or ``sp500.toml``).

    Raises
    ------
    ConfigError
        Neither a file nor a shipped config; the message lists the shipped names.
    """
    path = Path(name_or_path).expanduser()
    if path.is_file():
        return path
    shipped = shipped_configs()
    stem = path.name.removesuffix(".toml")
    if path.parent == Path(".") and stem in shipped:
        return shipped[stem]
    hint = _did_you_mean(stem, shipped)
    raise ConfigError(
        f"config file not found: {path}, and no shipped config is named {stem!r}; shipped: {', '.join(shipped)}.{hint} "
        f"Hint: tradecast run sp500, or tradecast init sp500 to copy one here and edit it."
    )


def _resolve_paths(mapping: dict[str, Any], folder: Path) -> None:
    """A relative ``csv:``/``parquet:`` path in ``[data]`` is looked up beside the
    config file first, then in the working folder (where it was looked up before),
    so that a config and its data can travel together.
    """
    data = mapping.get("data") if isinstance(mapping, dict) else None
    if not isinstance(data, dict):
        return
    for key in ("source", "vix"):
        value = data.get(key)
        if not isinstance(value, str) or ":" not in value:
            continue
        scheme, _, rest = value.partition(":")
        if scheme in ("csv", "parquet") and rest and not Path(rest).expanduser().is_absolute():
            beside = folder / rest
            if beside.is_file() and not Path(rest).is_file():
                data[key] = f"{scheme}:{beside.resolve()}"


def to_dict(config: Any) -> dict[str, Any]:
    """The config as plain data (TOML/JSON-friendly: tuples become lists, None is left out)."""
    if isinstance(config, ForecasterConfig):
        components = getattr(FORECASTERS[config.type], "components", {})

        def plain(k: str, v: Any) -> Any:
            if k in components:
                return {kk: list(vv) if isinstance(vv, tuple) else vv for kk, vv in v}
            return list(v) if isinstance(v, tuple) else v

        return {
            "name": config.name,
            "type": config.type,
            **{k: plain(k, v) for k, v in config.params},
            **({"schedule": dict(config.schedule)} if config.schedule else {}),
        }
    out = {}
    for f in dataclasses.fields(config):
        v = getattr(config, f.name)
        if dataclasses.is_dataclass(v):
            v = to_dict(v)
        elif isinstance(v, tuple):
            v = [to_dict(x) if dataclasses.is_dataclass(x) else x for x in v]
        if v is not None:
            out[f.name] = v
    if isinstance(config, WalkForwardConfig) and (config.start_row is not None or config.train_fraction is not None):
        out.pop("start", None)  # the split is start_row's or train_fraction's: a start beside it is refused on reading
    return out


def to_annotated_toml(config: RunConfig) -> str:
    """The config as the TOML a user would write, with every key that differs from
    the default job marked ``# changed (default: ...)`` and added or changed
    forecaster tables marked ``# not in the default job``.
    """
    default = to_dict(RunConfig())
    defaults_by_table = {f"[{k}]": v for k, v in default.items() if isinstance(v, dict)}
    defaults_by_table.update(
        {
            f"[{k}.{kk}]": vv
            for k, v in default.items()
            if isinstance(v, dict)
            for kk, vv in v.items()
            if isinstance(vv, dict)
        }
    )
    default_models = [to_dict(f) for f in DEFAULT_FORECASTERS]
    current = to_dict(config)
    models = iter(current.get("forecasters", []))
    lines, table = [], ""
    for line in to_toml(current).splitlines():
        if line.startswith("[[forecasters]]"):
            table = "[[forecasters]]"
            lines.append(line if next(models) in default_models else line + "  # not in the default job")
            continue
        if line.startswith("["):
            table = line
        elif " = " in line and table != "[[forecasters]]":
            key, value = line.split(" = ", 1)
            base = default.get(key) if not table else defaults_by_table.get(table, {}).get(key)
            if base is None and value:
                line += "  # changed (default: not set)"
            elif base is not None and toml_value(base) != value:
                line += f"  # changed (default: {toml_value(base)})"
        lines.append(line)
    return "\n".join(lines) + "\n"
