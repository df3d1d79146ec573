"""Fixtures for the LDP tests."""

from __future__ import annotations

import pytest
from ldp_testutils import ALL


@pytest.fixture(params=ALL)
def name(request: pytest.FixtureRequest) -> str:
    return request.param
