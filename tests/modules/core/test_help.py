from wolaro.modules.core.help import field_values


def test_field_values_split_long_sections_at_line_boundaries():
    lines = [f"`!command{n}` " + "x" * 90 for n in range(25)]
    values = field_values(lines)
    assert len(values) == 3 and all(len(v) <= 1024 for v in values)
    assert "\n".join(values).split("\n") == lines
    assert field_values([]) == []
    assert field_values(["y" * 2000]) == ["y" * 1024]
