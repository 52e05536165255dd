"""The README's two commands are the ones CI runs."""

from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _readme_commands():
    text = (ROOT / "README.md").read_text()
    blocks = text.split("```")
    return [b.strip().splitlines()[-1] for b in blocks[1:4:2]]  # first two fenced blocks


def test_readme_starts_with_two_commands_and_ci_runs_the_test_command():
    main_cmd, test_cmd = _readme_commands()
    assert "statmech-learn reproduce" in main_cmd
    assert "pytest" in test_cmd
    ci = (ROOT / ".ci" / "run").read_text().splitlines()
    assert test_cmd in [line.strip() for line in ci]
