"""Templates a server writes (custom commands' responses): Liquid under hard budgets, never Python.

Built on python-liquid, configured so a hostile template cannot reach Python objects, run for long or grow large:

- the context holds only plain data (`plain()` copies text, numbers, lists and mappings; anything else becomes its
  text), and Liquid looks values up by key only, so `{{ user.__class__ }}` is just empty;
- `include` and `render` are switched off (no loader: a template cannot pull in another, or itself);
- every render has a budget (`TemplateBudget`): source size, output size, loop iterations and other operations
  counted together, nesting depth, size of assigned variables, length of any text a filter is given, and a wall
  clock deadline checked at every lookup, assignment, filter, loop and write. Running out raises `TemplateError`;
- `render_template_async` renders in a worker thread, so a slow template never holds the event loop (other guilds are
  answered meanwhile), and its own deadline ends it.

Extra filters (such as a module's key-value store) get the `RenderSession` through `session_of(context)`.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import wraps
from io import StringIO
from typing import Any

import liquid
from liquid import BoundTemplate, Environment, RenderContext
from liquid.exceptions import (
    ContextDepthError,
    LiquidError,
    LiquidSyntaxError,
    LocalNamespaceLimitError,
    LoopIterationLimitError,
    OutputStreamLimitError,
    ResourceLimitError,
)

from wolaro.core.template_problems import explain_failure, explain_syntax

DISABLED_TAGS = ("include", "render")


@dataclass(frozen=True, slots=True)
class TemplateBudget:
    """What one render may use. The defaults suit a chat reply."""

    max_source: int = 4000
    max_output: int = 2000
    max_operations: int = 20_000
    max_loop: int = 1000
    max_depth: int = 10
    max_namespace: int = 64_000
    max_text: int = 8000
    max_seconds: float = 0.25


DEFAULT_BUDGET = TemplateBudget()


class TemplateError(Exception):
    """A template that cannot be used or ran out of its budget; `message` is for the server owner (an msgid)."""

    def __init__(self, message: str, **fields: Any) -> None:
        super().__init__(message)
        self.message = message
        self.fields = fields


@dataclass(slots=True)
class RenderSession:
    """The budget and the bookkeeping of one render (shared with the extra filters)."""

    budget: TemplateBudget
    deadline: float
    operations: int = 0
    extras: dict[str, Any] = field(default_factory=dict)

    def tick(self, amount: int = 1) -> None:
        """Count `amount` operations; raise when the budget or the time is spent."""
        self.operations += amount
        if self.operations > self.budget.max_operations:
            raise TemplateError(
                "The template does too much work (over {count} steps).", count=self.budget.max_operations
            )
        if time.monotonic() > self.deadline:
            raise TemplateError("The template took too long to run.")


class _BudgetContext(RenderContext):
    """Liquid's render context, counting every lookup, assignment, filter and loop against the session."""

    session: RenderSession

    def get(self, path: list[object], *, token: Any, default: object = liquid.undefined.UNDEFINED) -> object:
        self.session.tick()
        return super().get(path, token=token, default=default)

    def assign(self, key: str, val: Any) -> None:
        self.session.tick()
        super().assign(key, val)

    def filter(self, name: str, token: Any) -> Callable[..., object]:
        self.session.tick()
        return super().filter(name, token)

    def raise_for_loop_limit(self, length: int = 1) -> None:
        self.session.tick(max(1, length))
        super().raise_for_loop_limit(length)


class _BudgetBuffer(StringIO):
    """The output, refusing to grow past the budget and counting each write."""

    def __init__(self, session: RenderSession) -> None:
        super().__init__()
        self.session = session
        self.size = 0

    def write(self, text: str, /) -> int:
        if text:
            self.session.tick()
            self.size += len(text)
            if self.size > self.session.budget.max_output:
                raise TemplateError(
                    "The template's answer is too long (more than {count} characters).",
                    count=self.session.budget.max_output,
                )
        return super().write(text)


def _bounded_filter(func: Callable[..., Any], name: str, limit: int) -> Callable[..., Any]:
    """A filter that refuses text longer than the budget allows, and `replace` that would grow past it."""

    @wraps(func)
    def checked(*args: Any, **kwargs: Any) -> Any:
        texts = [a for a in (*args, *kwargs.values()) if isinstance(a, str)]
        if any(len(t) > limit for t in texts):
            raise TemplateError("The template works on a text that is too long.")
        if name in ("replace", "replace_first", "replace_last") and len(args) >= 3:
            source, new = str(args[0]), str(args[2])
            if (len(source) + 1) * len(new) + len(source) > limit:
                raise TemplateError("The template works on a text that is too long.")
        return func(*args, **kwargs)

    return checked


def _make_environment(budget: TemplateBudget) -> Environment:
    class _Bounded(Environment):
        loop_iteration_limit = budget.max_loop
        context_depth_limit = budget.max_depth
        local_namespace_limit = budget.max_namespace
        output_stream_limit = budget.max_output * 4
        block_nesting_limit = budget.max_depth

    env = _Bounded()
    for tag in DISABLED_TAGS:
        env.tags.pop(tag, None)
    for name, func in list(env.filters.items()):
        env.filters[name] = _bounded_filter(func, name, budget.max_text)
    return env


_ENVIRONMENTS: dict[TemplateBudget, Environment] = {}


def environment(budget: TemplateBudget = DEFAULT_BUDGET) -> Environment:
    """The Liquid environment of `budget` (one per budget, built once)."""
    env = _ENVIRONMENTS.get(budget)
    if env is None:
        env = _ENVIRONMENTS[budget] = _make_environment(budget)
    return env


def register_filter(name: str, func: Callable[..., Any]) -> None:
    """Add a filter to every environment (a module's own, e.g. a key-value store); it gets the same text bounds."""
    _EXTRA_FILTERS[name] = func
    for budget, env in _ENVIRONMENTS.items():
        env.filters[name] = _bounded_filter(func, name, budget.max_text)


_EXTRA_FILTERS: dict[str, Callable[..., Any]] = {}


def compile_template(source: str, budget: TemplateBudget = DEFAULT_BUDGET) -> BoundTemplate:
    """Parse `source`; a clear `TemplateError` if it is too long or not valid (`include`/`render` are refused)."""
    if len(source) > budget.max_source:
        raise TemplateError("A template has at most {count} characters.", count=budget.max_source)
    env = environment(budget)
    for name, func in _EXTRA_FILTERS.items():
        env.filters.setdefault(name, _bounded_filter(func, name, budget.max_text))
    try:
        return env.from_string(source)
    except LiquidSyntaxError as exc:
        if any(f"'{tag}'" in str(exc) or f"tag '{tag}'" in str(exc) for tag in DISABLED_TAGS):
            raise TemplateError("Templates cannot include other templates.") from None
        raise _problem(explain_syntax(exc, source)) from None
    except ResourceLimitError:
        raise TemplateError("The template is nested too deeply.") from None
    except LiquidError as exc:
        raise _problem(explain_syntax(exc, source)) from None
    except RecursionError:
        raise TemplateError("The template is nested too deeply.") from None


def _problem(problem: tuple[str, dict[str, Any]]) -> TemplateError:
    """A `TemplateError` in `template_problems`' words (with line and character), never Liquid's own text."""
    message, fields = problem
    return TemplateError(message, **fields)


def template_source(source: str | BoundTemplate) -> str | None:
    """The text of a template (to say on which line a problem is), if it is at hand."""
    return source if isinstance(source, str) else None


def plain(value: Any, depth: int = 0) -> Any:
    """A copy of `value` made only of text, numbers, booleans, None, lists and string-keyed mappings.

    Anything else (an object, a function, a class) becomes None: not even its text reaches a template.
    """
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if depth >= 6:
        return None
    if isinstance(value, Mapping):
        return {str(k): plain(v, depth + 1) for k, v in list(value.items())[:200]}
    if isinstance(value, list | tuple):
        return [plain(v, depth + 1) for v in value[:200]]
    return None


def render_template(
    source: str | BoundTemplate,
    variables: Mapping[str, Any],
    budget: TemplateBudget = DEFAULT_BUDGET,
    *,
    extras: dict[str, Any] | None = None,
) -> str:
    """Render a template with `variables` (copied as `plain` data) within `budget`. Blocking (see the async one).

    Raises `TemplateError` for a bad template or a spent budget; never lets another error through.
    """
    return render_with_session(source, variables, budget, extras=extras)[0]


def render_with_session(
    source: str | BoundTemplate,
    variables: Mapping[str, Any],
    budget: TemplateBudget = DEFAULT_BUDGET,
    *,
    extras: dict[str, Any] | None = None,
) -> tuple[str, RenderSession]:
    """`render_template`, also giving the session (how many operations the render used)."""
    session = RenderSession(budget, time.monotonic() + budget.max_seconds, extras=extras if extras is not None else {})
    try:
        template = compile_template(source, budget) if isinstance(source, str) else source
        context = _BudgetContext(template, globals=template.make_globals(plain(dict(variables))))
        context.session = session
        buffer = _BudgetBuffer(session)
        template.render_with_context(context, buffer)
    except TemplateError:
        raise
    except ResourceLimitError as exc:
        raise _limit_error(exc, budget) from None
    except RecursionError:
        raise TemplateError("The template is nested too deeply.") from None
    except (LiquidError, ArithmeticError, ValueError, TypeError, MemoryError, LookupError, AttributeError) as exc:
        raise _problem(explain_failure(exc, template_source(source))) from None
    return buffer.getvalue(), session


def _limit_error(exc: ResourceLimitError, budget: TemplateBudget) -> TemplateError:
    if isinstance(exc, LoopIterationLimitError):
        return TemplateError("The template repeats a loop too many times (at most {count}).", count=budget.max_loop)
    if isinstance(exc, LocalNamespaceLimitError):
        return TemplateError("The template keeps too much text in its variables.")
    if isinstance(exc, OutputStreamLimitError):
        return TemplateError(
            "The template's answer is too long (more than {count} characters).", count=budget.max_output
        )
    if isinstance(exc, ContextDepthError):
        return TemplateError("The template is nested too deeply.")
    return TemplateError("The template does too much work (over {count} steps).", count=budget.max_operations)


def session_of(context: RenderContext) -> RenderSession:
    """The session of the render a filter runs in (its `extras` carry a module's per-render state)."""
    session: RenderSession = context.session  # type: ignore[attr-defined]
    return session


async def render_template_async(
    source: str | BoundTemplate,
    variables: Mapping[str, Any],
    budget: TemplateBudget = DEFAULT_BUDGET,
    *,
    extras: dict[str, Any] | None = None,
) -> str:
    """`render_template` in a worker thread: the event loop keeps serving everyone else while it runs."""
    return await asyncio.to_thread(render_template, source, variables, budget, extras=extras)
