"""Every public function, class and method has a docstring, and its ``Args:`` section names every parameter.

The API pages of the docs site are rendered from these docstrings (mkdocstrings, Google style), so a missing
docstring is a missing page entry and a parameter that the ``Args:`` section does not name (or names together with
another, ``a, b: ...``, which griffe rejects) is a gap in the reference. For each module the test walks
``__all__``: its classes and functions, and the public methods, properties, classmethods and staticmethods
defined on our own classes (those of ``scoresde`` and ``heat`` in the class's MRO, so methods inherited from a
private base count and those inherited from ``torch.nn.Module`` or ``object`` do not). A class's constructor
parameters may be documented in the class docstring or in ``__init__``'s (mkdocstrings merges the two); the
``__init__`` that ``dataclasses`` generates is skipped (dataclass fields are documented under ``Attributes:``).
``*args`` and ``**kwargs`` may be documented under any starred name (``*shape``, ``**options``).
"""

from __future__ import annotations

import dataclasses
import doctest
import importlib
import inspect
import pkgutil
import re
from collections.abc import Callable, Iterator
from typing import Any

import pytest

MODULES = [
    "scoresde.schedules",
    "scoresde.ddpm",
    "scoresde.sde",
    "scoresde.parameterization",
    "scoresde.analytic",
    "scoresde.timesteps",
    "scoresde.samplers",
    "scoresde.likelihood",
    "scoresde.metrics",
    "scoresde.losses",
    "scoresde.viz",
    "scoresde.nets",
    "scoresde.training",
    "scoresde.data",
    "scoresde.evaluation",
    "scoresde.guidance",
    "heat",
]

OUR_PACKAGES = ("scoresde", "heat")
ARG_SECTIONS = ("Args:", "Arguments:", "Parameters:", "Params:", "Keyword Args:", "Keyword Arguments:")
ENTRY = re.compile(r"^(?P<name>\*{0,2}\w+)\s*(?:\([^)]*\))?\s*:(?:\s|$)")


def documented_args(doc: str) -> set[str]:
    """The names the ``Args:`` (or ``Keyword Args:``) sections of a docstring give, one per entry.

    An entry is a line at the section's first indentation of the form ``name: ...`` or ``name (type): ...``;
    a combined ``a, b: ...`` entry does not match and so names nothing.
    """
    lines = inspect.cleandoc(doc).splitlines()
    names: set[str] = set()
    i = 0
    while i < len(lines):
        header = lines[i]
        if header.strip() not in ARG_SECTIONS:
            i += 1
            continue
        base = len(header) - len(header.lstrip())
        entry_indent: int | None = None
        i += 1
        while i < len(lines):
            line = lines[i]
            if not line.strip():
                i += 1
                continue
            indent = len(line) - len(line.lstrip())
            if indent <= base:
                break
            if entry_indent is None:
                entry_indent = indent
            if indent == entry_indent and (m := ENTRY.match(line.strip())):
                names.add(m["name"])
            i += 1
    return names


def missing_args(func: Callable[..., Any], doc: str, *, skip_first: bool) -> list[str]:
    """The parameters of ``func`` (less ``self``/``cls`` when ``skip_first``) that ``doc`` does not name."""
    try:
        params = list(inspect.signature(func).parameters.values())
    except (TypeError, ValueError):  # builtins without a signature
        return []
    if skip_first and params:
        params = params[1:]
    if not params:
        return []
    names = documented_args(doc)
    starred = {n for n in names if n.startswith("*") and not n.startswith("**")}
    double = {n for n in names if n.startswith("**")}
    missing = []
    for p in params:
        if p.kind is inspect.Parameter.VAR_POSITIONAL:
            ok = bool(starred) or p.name in names
        elif p.kind is inspect.Parameter.VAR_KEYWORD:
            ok = bool(double) or p.name in names
        else:
            ok = p.name in names
        if not ok:
            missing.append(("*" if p.kind is inspect.Parameter.VAR_POSITIONAL else "")
                           + ("**" if p.kind is inspect.Parameter.VAR_KEYWORD else "") + p.name)
    return missing


def _ours(obj: Any) -> bool:
    return str(getattr(obj, "__module__", "") or "").split(".")[0] in OUR_PACKAGES


def _members(cls: type) -> Iterator[tuple[str, Callable[..., Any], bool]]:
    """(qualified name, function, skip_first) for the public methods and properties defined on our classes in
    cls's MRO, each named by the class that defines it (so an inherited method is reported once)."""
    seen: set[str] = set()
    for klass in cls.__mro__:
        if klass is object or not _ours(klass):
            continue
        for name, raw in vars(klass).items():
            if name.startswith("_") or name in seen:
                continue
            seen.add(name)
            name = f"{klass.__module__}.{klass.__qualname__}.{name}"
            if isinstance(raw, staticmethod):
                yield name, raw.__func__, False
            elif isinstance(raw, classmethod):
                yield name, raw.__func__, True
            elif isinstance(raw, property):
                if raw.fget is not None:
                    yield name, raw.fget, True
            elif inspect.isfunction(raw):
                yield name, raw, True
            elif hasattr(raw, "func") and hasattr(raw, "attrname"):  # functools.cached_property
                yield name, raw.func, True


def _constructor_problems(qual: str, cls: type) -> list[str]:
    if dataclasses.is_dataclass(cls):
        return []
    for klass in cls.__mro__:
        if klass is object or not _ours(klass):
            return []  # __init__ inherited from outside (an exception, nn.Module, object): nothing of ours
        if "__init__" in vars(klass):
            init = vars(klass)["__init__"]
            break
    else:
        return []
    doc = (inspect.getdoc(cls) or "") + "\n\n" + inspect.cleandoc(init.__doc__ or "")
    missing = missing_args(init, doc, skip_first=True)
    return [f"{qual}: Args does not name {missing}"] if missing else []


def _callable_problems(qual: str, func: Callable[..., Any], *, skip_first: bool) -> list[str]:
    """A missing docstring, or the parameters its ``Args:`` does not name."""
    doc = func.__doc__ or ""
    if not doc.strip():
        return [f"{qual}: no docstring"]
    missing = missing_args(func, doc, skip_first=skip_first)
    return [f"{qual}: Args does not name {missing}"] if missing else []


def problems(module_name: str) -> list[str]:
    """Every missing docstring and undocumented parameter in the public API of one module."""
    module = importlib.import_module(module_name)
    found: list[str] = []
    for name in getattr(module, "__all__", []):
        obj = getattr(module, name)
        qual = f"{module_name}.{name}"
        if inspect.isclass(obj):
            if not (obj.__doc__ or "").strip():
                found.append(f"{qual}: no docstring")
            found += _constructor_problems(qual, obj)
            for member, func, skip_first in _members(obj):
                found += _callable_problems(member, func, skip_first=skip_first)
        elif inspect.isfunction(obj):
            found += _callable_problems(qual, obj, skip_first=False)
    return list(dict.fromkeys(found))  # a method inherited by several exported classes is reported once


@pytest.mark.parametrize("module_name", MODULES)
def test_public_api_is_documented(module_name: str) -> None:
    found = problems(module_name)
    assert not found, f"{len(found)} docstring problem(s) in {module_name}:\n  " + "\n  ".join(found)


def test_sampler_methods_are_documented() -> None:
    """The per-method functions that ``sample`` dispatches to (``METHODS``) are public through it."""
    from scoresde.samplers import METHODS

    found = []
    for name, func in METHODS.items():
        doc = func.__doc__ or ""
        if not doc.strip():
            found.append(f"METHODS[{name!r}]: no docstring")
            continue
        missing = missing_args(func, doc, skip_first=False)
        if missing:
            found.append(f"METHODS[{name!r}] ({func.__module__}.{func.__name__}): Args does not name {missing}")
    assert not found, f"{len(found)} docstring problem(s):\n  " + "\n  ".join(found)


def _modules_under(name: str) -> list[str]:
    module = importlib.import_module(name)
    names = [name]
    if hasattr(module, "__path__"):
        names += [info.name for info in pkgutil.walk_packages(module.__path__, prefix=f"{name}.")]
    return names


@pytest.mark.parametrize("module_name", [*MODULES, "scoresde._utils"])
def test_docstring_examples_run(module_name: str) -> None:
    """A ``>>>`` example in a docstring is a promise that it runs as written: run them all (doctest)."""
    failed = []
    for name in _modules_under(module_name):
        module = importlib.import_module(name)
        for test in doctest.DocTestFinder(exclude_empty=True).find(module, name):
            if not test.examples:
                continue
            runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
            result = runner.run(test, out=lambda _text: None)
            if result.failed:
                failed.append(f"{test.name} ({result.failed} of {result.attempted} examples failed)")
    assert not failed, "docstring examples that do not run as written:\n  " + "\n  ".join(failed)


def test_args_parser() -> None:
    doc = """Summary.

    Args:
        a: one.
        b (int): two,
            continued: not an entry.
        c, d: combined, which griffe rejects.
        **options: the rest.

    Returns:
        x: not an argument.
    """
    assert documented_args(doc) == {"a", "b", "**options"}


# Public names with no paper behind them: result and config containers, errors, input checks, file and data plumbing,
# plotting, and test targets. Every other public class and function states its formula's source under References:.
NO_REFERENCE = {
    "scoresde.analytic.ring_mixture", "scoresde.timesteps.check_grid", "scoresde.samplers.SampleResult",
    "scoresde.samplers.method_options", "scoresde.samplers.method_table",
    "scoresde.likelihood.LikelihoodResult", "scoresde.metrics.moment_errors",
    "scoresde.viz.image_grid", "scoresde.viz.plot_loss_curve", "scoresde.viz.save_image_grid",
    "scoresde.viz.save_scatter",
    "scoresde.nets.MLPConfig", "scoresde.nets.NetConfig",
    "scoresde.training.CheckpointError", "scoresde.training.CheckpointManager", "scoresde.training.DistInfo",
    "scoresde.training.NonFiniteLossError", "scoresde.training.TrainResult", "scoresde.training.cleanup_distributed",
    "scoresde.training.init_distributed", "scoresde.training.load_checkpoint", "scoresde.training.save_checkpoint",
    "scoresde.data.DataError", "scoresde.data.DownloadError", "scoresde.data.ImageData", "scoresde.data.ImageDataset",
    "scoresde.data.SyntheticShapes", "scoresde.data.UnsafePickleError", "scoresde.data.cifar10_available",
    "scoresde.data.data_dir", "scoresde.data.extract_cifar10", "scoresde.data.load_images",
    "scoresde.data.random_hflip", "scoresde.data.to_float", "scoresde.data.to_uint8",
    "scoresde.evaluation.Features", "scoresde.evaluation.InvalidWeightsError", "scoresde.evaluation.RunModel",
    "scoresde.evaluation.ShapesScores", "scoresde.evaluation.WeightsError", "scoresde.evaluation.WeightsNotFoundError",
    "scoresde.evaluation.extractor_tag", "scoresde.evaluation.inception_weights_path", "scoresde.evaluation.load_run",
    "scoresde.evaluation.load_shapes_classifier", "scoresde.evaluation.sample_images", "scoresde.evaluation.table",
    "heat.Grid", "heat.GridDensity", "heat.TimeChange", "heat.sample_density",
}


@pytest.mark.parametrize("module_name", MODULES)
def test_public_classes_and_functions_cite_their_source(module_name: str) -> None:
    module = importlib.import_module(module_name)
    missing = []
    for name in module.__all__:
        obj = getattr(module, name)
        qual = f"{module_name}.{name}"
        if (inspect.isclass(obj) or inspect.isfunction(obj)) and qual not in NO_REFERENCE:
            if "References:" not in (inspect.getdoc(obj) or ""):
                missing.append(qual)
    assert not missing, f"public names without a References: section: {missing}"
