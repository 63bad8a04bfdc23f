"""The dashboard's pages in the person's language: `t()` in templates, and the words the page scripts show.

Templates write `{{ t("Your servers") }}` (an English msgid from the core's catalog, or a module's title and help
from its own); the language is the request's (`wolaro.web.language`: the chooser's cookie, the Discord locale set
at login, the browser's). Page scripts never carry English of their own: `base.html` hands them `JS_MESSAGES`
translated, and `wolaro.tr("...")` looks them up (`static/wolaro.js`).
"""

from __future__ import annotations

from typing import Any

from jinja2 import Environment, pass_context
from jinja2.runtime import Context

from wolaro.core.config_service import SUPPORTED_LANGUAGES
from wolaro.web.language import DEFAULT, request_language

LANGUAGE_NAMES = {"en": "English", "fr": "Français"}

#: Every sentence the page scripts show (static/*.js), as English msgids; `{name}` values are filled in by JS.
JS_MESSAGES: tuple[str, ...] = (
    # schema-form.js
    "Not set",
    "— None —",
    "Choose…",
    "Add a role…",
    "Add a channel…",
    "None",
    "Remove",
    "Remove {item}",
    "Empty",
    "None yet",
    "Add",
    "Up to {count}.",
    "{min} to {max}",
    "At least {min}",
    "At most {max}",
    "On",
    "Off",
    "Unknown role ({id})",
    "Unknown channel ({id})",
    "Changed elsewhere while you were editing: saving keeps your value.",
    "seconds",
    "minutes",
    "hours",
    "days",
    "weeks",
    "Unit",
    # module.js and overview.js
    "All changes saved",
    "Unsaved changes ({count})",
    "Saving…",
    "Settings saved",
    "Not saved: {count} settings need a fix, shown in red.",
    "Not saved: {reason}",
    "Module switched on",
    "Module switched off",
    "Could not switch the module: {reason}",
    "You have unsaved changes. Leave this page without saving them?",
    "You changed {fields} in another window.",
    "Another server manager changed {fields}.",
    "{fields} changed.",
    "Channel and role names are unavailable right now: ids are shown instead",
    "{module} switched on",
    "{module} switched off",
    "Settings reloaded",
    "{on} of {total}",
    "The dashboard cannot be reached",
    "Refused",
    "Invalid input",
    "Error",
    # audit.js and commands.js
    "Only this person's changes",
    "You",
    "Undo",
    "Change undone",
    "No older entries.",
    "Nothing matches these filters yet.",
    "Newest entries",
    "Page {number}",
    "Check the filters: the user id must be a number.",
    "Could not load the audit log.",
    "When",
    "Who",
    "What",
    "Change",
    "Command",
    "Where",
    "Result",
)


def _language(context: Context) -> str:
    request = context.get("request")
    return request_language(request) if request is not None else DEFAULT


def _translator(context: Context) -> Any:
    request = context.get("request")
    return request.app.state.web.services.translator if request is not None else None


@pass_context
def t(context: Context, message: str, /, **values: Any) -> str:
    """`message` in the page's language, with `values` filled in."""
    translator = _translator(context)
    if translator is None:
        return message.format(**values) if values else message
    return str(translator.translate(_language(context), message, **values))


@pass_context
def page_language(context: Context) -> str:
    """The page's language code (`<html lang>`)."""
    return _language(context)


@pass_context
def js_strings(context: Context) -> dict[str, str]:
    """The page scripts' sentences in the page's language (msgid -> text, `{values}` left for JS)."""
    translator = _translator(context)
    language = _language(context)
    if translator is None or language == DEFAULT:
        return {}
    table = translator.catalogs.get(language, {})
    return {message: table[message] for message in JS_MESSAGES if message in table}


def install(env: Environment) -> None:
    """Make `t`, `page_language`, `js_strings` and the language chooser's choices available to every template."""
    env.globals.update(
        t=t,
        page_language=page_language,
        js_strings=js_strings,
        language_choices=[(code, LANGUAGE_NAMES.get(code, code)) for code in SUPPORTED_LANGUAGES],
    )
