"""Every error the package raises on purpose belongs to one tree, each class with its scope."""

from __future__ import annotations

import importlib
import inspect
import pkgutil

import pytest

import publisher
from publisher import errors
from publisher.errors import PublisherError, Scope

# Raised and caught inside a module that runs as a script with the standard library only (it
# cannot import publisher.errors), never out of it.
SCRIPT_INTERNAL = {
    "publisher.due.Unreadable",  # due.py: a head it cannot read; the file counts as due
    "publisher.store.common.NotRegular",  # loaded by due.py; read_bounded turns it to InputError
    "publisher.store.queue_merge.NoMerge",  # the git merge driver: it exits 1, git keeps both
}


def _modules() -> list[str]:
    names = []
    for info in pkgutil.walk_packages(publisher.__path__, "publisher."):
        if info.name.startswith("publisher.testing") or info.name.endswith("__main__"):
            continue
        names.append(info.name)
    return names


def _exception_classes() -> dict[str, type[BaseException]]:
    found = {}
    for name in _modules():
        module = importlib.import_module(name)
        for value in vars(module).values():
            if (
                inspect.isclass(value)
                and issubclass(value, BaseException)
                and value.__module__ == name
            ):
                found[f"{name}.{value.__qualname__}"] = value
    return found


def test_every_exception_of_the_package_is_a_publisher_error() -> None:
    classes = _exception_classes()
    outside = {n for n, c in classes.items() if not issubclass(c, PublisherError)}
    assert outside == SCRIPT_INTERNAL
    # The scopes are all set in errors.py, where their table is: a class elsewhere (a
    # platform's private refinement) inherits its parent's scope and sets none of its own.
    elsewhere = [
        c
        for n, c in classes.items()
        if issubclass(c, PublisherError) and not n.startswith("publisher.errors.")
    ]
    assert [c for c in elsewhere if "scope" in vars(c)] == []


@pytest.mark.parametrize(
    ("cls", "scope"),
    [
        (errors.PermanentError, Scope.POST),
        (errors.DuplicatePost, Scope.POST),
        (errors.FormatError, Scope.POST),
        (errors.Unreachable, Scope.PLATFORM),  # a TransientError, but it stops the platform
        (errors.AccountRefused, Scope.PLATFORM),  # a PermanentError, but the thread is not at fault
        (errors.OutOfCredit, Scope.CREDIT),
        (errors.TransientError, Scope.TRANSIENT),
        (errors.RateLimited, Scope.TRANSIENT),
        (errors.DeferUntil, Scope.WAIT),
        (errors.CardError, Scope.OPTIONAL),
        (errors.ArxivError, Scope.OPTIONAL),
        (errors.InputError, Scope.INPUT),
        (errors.TransitionRefused, Scope.INPUT),
        (errors.ConfigError, Scope.CONFIG),
        (errors.ScaffoldError, Scope.CONFIG),
        (errors.QueueError, Scope.RUN),
        (errors.QueueBusy, Scope.RUN),
        (errors.CommitBackError, Scope.RUN),
    ],
)
def test_scope(cls: type[PublisherError], scope: Scope) -> None:
    assert cls.scope is scope


def test_the_docstring_table_names_every_class_of_the_tree() -> None:
    doc = errors.__doc__ or ""
    tree = [
        c
        for c in vars(errors).values()
        if inspect.isclass(c) and issubclass(c, PublisherError) and c not in (PublisherError,)
    ]
    assert [c.__name__ for c in tree if c.__name__ not in doc] == ["PlatformError"]
