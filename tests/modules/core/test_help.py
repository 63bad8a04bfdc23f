from wolaro.core.i18n import Translator
from wolaro.modules.core.help import CommandHelp, CommandIndex, field_values, help_sections, overview

ENTRIES = CommandIndex(
    (
        CommandHelp("utility", "ping", "", "Show the latency."),
        CommandHelp("utility", "avatar", "[user]", "Show an avatar."),
        CommandHelp("fun", "roll", "[dice]", "Roll dice."),
        CommandHelp("admin", "admin", "", "Admin."),
    )
)
TRANSLATOR = Translator(
    {
        "en": {},
        "fr": {
            "Commands": "Commandes",
            "Roll dice.": "Lancer des dés.",
            "Use {prefix}help <command> for details.": "Tapez {prefix}help <commande> pour les détails.",
        },
    }
)


def test_help_lists_only_enabled_visible_modules_sorted():
    entries = [
        CommandHelp("utility", "ping", "", "Ping."),
        CommandHelp("utility", "avatar", "[user]", "Avatar."),
        CommandHelp("fun", "joke", "", "Joke."),
        CommandHelp("admin", "admin", "", "Admin."),
    ]
    sections = help_sections(entries, frozenset({"utility", "admin"}), hidden=frozenset({"admin"}))
    assert list(sections) == ["utility"]
    assert [e.name for e in sections["utility"]] == ["avatar", "ping"]


def test_field_values_split_long_sections_at_line_boundaries():
    lines = [f"`!command{n}` " + "x" * 90 for n in range(25)]
    values = field_values(lines)
    assert len(values) == 3 and all(len(v) <= 1024 for v in values)
    assert "\n".join(values).split("\n") == lines
    assert field_values([]) == []
    assert field_values(["y" * 2000]) == ["y" * 1024]


def test_overview_shows_enabled_modules_with_the_servers_prefix_and_language():
    page = overview(ENTRIES, frozenset({"utility", "fun", "admin"}), frozenset({"admin"}), "?", "fr", TRANSLATOR)
    assert page.title == "Commandes"
    assert page.fields == (
        ("fun", "`?roll` Lancer des dés."),
        ("utility", "`?avatar` Show an avatar.\n`?ping` Show the latency."),
    )
    assert page.footer == "Tapez ?help <commande> pour les détails."


def test_overview_is_kept_and_any_change_of_input_is_another_answer():
    enabled = frozenset({"utility"})
    first = overview(ENTRIES, enabled, frozenset(), "!", "en", TRANSLATOR)
    assert overview(ENTRIES, frozenset({"utility"}), frozenset(), "!", "en", TRANSLATOR) is first
    assert overview(ENTRIES, enabled, frozenset(), "$", "en", TRANSLATOR).fields[0][1].startswith("`$avatar`")
    assert [name for name, _ in overview(ENTRIES, enabled | {"fun"}, frozenset(), "!", "en", TRANSLATOR).fields] == [
        "fun",
        "utility",
    ]
    assert overview(ENTRIES, enabled, frozenset(), "!", "fr", TRANSLATOR).title == "Commandes"
