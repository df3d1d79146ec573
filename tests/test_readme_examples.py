"""The Python examples of the README's "As a library" section run as written."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

README = Path(__file__).resolve().parents[1] / "README.md"


def _examples() -> list[str]:
    text = README.read_text()
    section = text.split("## As a library", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"```python\n(.*?)```", section, flags=re.S)


def test_the_section_has_the_pipeline_example() -> None:
    assert any("GridSearchCV" in code and "sensitive_features" in code for code in _examples())


@pytest.mark.parametrize("index", range(len(_examples())))
def test_readme_example_runs(index: int, capsys: pytest.CaptureFixture[str]) -> None:
    import sklearn

    code = _examples()[index]
    try:
        exec(compile(code, f"README.md example {index}", "exec"), {"__name__": "__readme__"})
    finally:
        sklearn.set_config(enable_metadata_routing=False)
