"""wolaro-counting: a counting channel game, written as a third-party Wolaro module (see docs/writing-a-module.md).

It imports the platform only through `wolaro.sdk`.
"""
