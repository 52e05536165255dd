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


def test_readme_process_pool_snippets_are_guarded():
    """A process pool re-imports the main module: every README snippet that starts one must
    sit under ``if __name__ == "__main__":`` to be copy-pasteable."""
    text = (ROOT / "README.md").read_text()
    snippets = [b for b in text.split("```")[1::2] if "ProcessPoolExecutor(" in b]
    assert snippets
    for code in snippets:
        assert 'if __name__ == "__main__":' in code
        assert code.index('if __name__ == "__main__":') < code.index("ProcessPoolExecutor(")
