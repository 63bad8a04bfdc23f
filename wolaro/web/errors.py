"""Refused input said for people: every 422 of the API names each field at fault with a translated sentence.

Both a refused config change (`ConfigError`, from a module's model) and a request FastAPI could not read
(`RequestValidationError`) answer in FastAPI's shape, `detail: [{loc, msg, type}]`, but `msg` is our sentence in
the person's language (`wolaro.web.language`), never pydantic's text; `errors: [{field, message}]` lists them
for the dashboard's forms and `field`/`message` repeat the first.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from fastapi import Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

from wolaro.core.config_errors import FieldProblem, problem_of
from wolaro.core.config_service import ConfigError
from wolaro.web.language import request_language

REQUEST_PARTS = ("body", "query", "path", "header", "cookie")


def _translate(request: Request) -> Any:
    language = request_language(request)
    translator = request.app.state.web.services.translator

    def translate(message: str, **values: Any) -> str:
        return str(translator.translate(language, message, **values))

    return translate


def problems_response(request: Request, problems: Sequence[FieldProblem], part: str = "body") -> JSONResponse:
    """422 with every problem translated (FastAPI's `detail` shape, plus `errors`, `field` and `message`)."""
    translate = _translate(request)
    errors = [{"field": p.field, "message": p.text(translate)} for p in problems]
    detail = [{"loc": [part, *e["field"].split(".")], "msg": e["message"], "type": "value_error"} for e in errors]
    first = errors[0] if errors else {"field": "value", "message": translate("This value is not valid.")}
    return JSONResponse(
        status_code=422,
        content={"detail": detail, "errors": errors, "field": first["field"], "message": first["message"]},
    )


async def config_error(request: Request, exc: Exception) -> JSONResponse:
    """A refused config change (`ConfigError`)."""
    assert isinstance(exc, ConfigError)
    return problems_response(request, exc.problems)


async def request_error(request: Request, exc: RequestValidationError) -> JSONResponse:
    """A request FastAPI could not read: the same human answer, the field named without the `body` part."""
    problems = []
    part = "body"
    for error in exc.errors():
        loc = list(error.get("loc", ()))
        if loc and loc[0] in REQUEST_PARTS:
            part = str(loc[0])
            loc = loc[1:]
        problems.append(problem_of({**error, "loc": loc}))
    return problems_response(request, problems, part)
