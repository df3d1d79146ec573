"""The Python examples of the README's "As a library" section and of the user guide's library
page (docs/guide/library.md) run as written and print what they compute."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
LIBRARY = ROOT / "docs" / "guide" / "library.md"


def _blocks(text: str) -> list[str]:
    return re.findall(r"```python\n(.*?)```", text, flags=re.S)


def _examples() -> list[tuple[str, str]]:
    section = README.read_text().split("## As a library", 1)[1].split("\n## ", 1)[0]
    return [("README.md", c) for c in _blocks(section)] + [
        ("docs/guide/library.md", c) for c in _blocks(LIBRARY.read_text())
    ]


def test_the_pages_have_their_examples() -> None:
    where = [w for w, _ in _examples()]
    assert where.count("README.md") >= 1 and where.count("docs/guide/library.md") >= 4
    assert any("GridSearchCV" in code and "sensitive_features" in code for _, code in _examples())


@pytest.mark.parametrize("index", range(len(_examples())))
def test_example_runs_and_prints(index: int, capsys: pytest.CaptureFixture[str]) -> None:
    import sklearn

    where, code = _examples()[index]
    try:
        exec(compile(code, f"{where} example {index}", "exec"), {"__name__": "__readme__"})
    finally:
        sklearn.set_config(enable_metadata_routing=False)
    assert capsys.readouterr().out.strip(), f"the example of {where} prints nothing"
