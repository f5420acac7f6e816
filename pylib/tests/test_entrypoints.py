"""pymode._entrypoints reads a handler's shape from its code object instead of importing inspect at start
(issue #13): it must count arguments and tell coroutine functions exactly as inspect does."""
import functools
import inspect
import types

import pytest

from pymode import _entrypoints


def one(request): ...
def two(request, env): ...
def three(request, env, ctx): ...
def defaults(request, env=None, ctx=None): ...
def keyword_only(request, *, env=None): ...
def positional_only(request, env, /): ...
def star_args(*args): ...
def star_after(request, *rest): ...
async def coroutine(request, env): ...
def generator(request):
    yield request


def wraps_a_three(function):
    @functools.wraps(function)
    def wrapper(*args, **kwargs):
        return function(*args, **kwargs)
    return wrapper


@wraps_a_three
def wrapped(request, env, ctx): ...


class Handler:
    def method(self, request, env): ...
    async def amethod(self, request): ...
    def __call__(self, request): ...


# Python 3.12+ (python.wasm is 3.13; the native test venv may be older)
MARKED = [inspect.markcoroutinefunction(lambda request: None)] if hasattr(inspect, "markcoroutinefunction") else []

CALLABLES = [one, two, three, defaults, keyword_only, positional_only, star_args, star_after, coroutine, generator,
             wrapped, Handler().method, Handler().amethod, Handler(), functools.partial(three, 1),
             functools.partial(coroutine, 1), len, *MARKED]


def inspects_count(function):
    try:
        parameters = inspect.signature(function).parameters.values()
    except (TypeError, ValueError):
        return 2
    if any(p.kind == p.VAR_POSITIONAL for p in parameters):
        return 3
    return sum(p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD) and p.default is p.empty for p in parameters)


@pytest.mark.parametrize("function", CALLABLES, ids=lambda f: getattr(f, "__name__", type(f).__name__))
def test_argument_count_matches_inspect(function):
    assert _entrypoints._required_positional(function) == inspects_count(function)


@pytest.mark.parametrize("function", CALLABLES, ids=lambda f: getattr(f, "__name__", type(f).__name__))
def test_coroutine_function_matches_inspect(function):
    assert _entrypoints._is_async(function) == inspect.iscoroutinefunction(function)


class AwaitableObject:
    def __await__(self):
        yield


@types.coroutine
def legacy_coroutine():
    yield


@pytest.mark.parametrize("make", [lambda: coroutine(1, 2), AwaitableObject, legacy_coroutine, lambda: generator(1),
                                  lambda: 1, lambda: None, list])
def test_isawaitable_matches_inspect(make):
    obj = make()
    try:
        assert _entrypoints.isawaitable(obj) == inspect.isawaitable(obj)
    finally:
        if hasattr(obj, "close"):
            obj.close()
