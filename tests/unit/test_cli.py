import os
import subprocess
import sys


def run_cli(*args, **env):
    clean = {k: v for k, v in os.environ.items() if k not in ("DISCORD_TOKEN", "DATABASE_URL", "REDIS_URL")}
    return subprocess.run(
        [sys.executable, "-m", "wolaro.cli", *args],
        capture_output=True,
        text=True,
        env={**clean, **env},
        timeout=60,
    )


def test_run_without_token_explains_and_points_to_sandbox(tmp_path):
    result = run_cli("run", DATA_DIR=str(tmp_path))
    assert result.returncode != 0
    assert "DISCORD_TOKEN" in result.stderr
    assert "discord.com/developers/applications" in result.stderr
    assert "wolaro sandbox" in result.stderr


def test_invalid_setting_names_the_variable(tmp_path):
    result = run_cli("run", DISCORD_TOKEN="x", DATABASE_URL="mysql://nope", DATA_DIR=str(tmp_path))
    assert result.returncode == 2
    assert "DATABASE_URL" in result.stderr


def test_help_lists_the_commands():
    result = run_cli("--help")
    assert result.returncode == 0
    for command in ("run", "bot", "sandbox", "migrate"):
        assert command in result.stdout


def test_migrate_creates_the_schema(tmp_path):
    result = run_cli("migrate", DATA_DIR=str(tmp_path))
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "wolaro.db").exists()


def test_a_bad_rate_stops_the_start_naming_the_variable(tmp_path):
    """Issue 8: `COMMAND_COOLDOWN_RATE=lots wolaro run` started the bot; the first command then failed."""
    result = run_cli(
        "run", DISCORD_TOKEN="x", COMMAND_COOLDOWN_RATE="lots", SHARD_IDS="0,7", SHARD_COUNT="2", DATA_DIR=str(tmp_path)
    )
    assert result.returncode == 2, result.stderr
    lines = [line.strip() for line in result.stderr.splitlines()]
    assert any(line.startswith("COMMAND_COOLDOWN_RATE: 'lots' is not a rate") for line in lines), result.stderr
    assert any(line.startswith("SHARD_IDS: shard 7 does not exist") for line in lines), result.stderr
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "wolaro.db").exists()  # stopped before touching anything
