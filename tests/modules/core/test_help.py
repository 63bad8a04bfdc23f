from wolaro.modules.core.help import CommandHelp, field_values, help_sections


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
