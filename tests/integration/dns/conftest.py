# Copyright (c) swanfleet.ipsec contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or
# https://www.gnu.org/licenses/gpl-3.0.txt)
"""One private BIND 9 (see ``named_server``) for the whole test session."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from named_server import NAMED, Named, start, stop


@pytest.fixture(scope="session")
def named(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Named]:
    if not Path(NAMED).exists():
        pytest.skip("BIND 9 (named) is not installed")
    server = start(tmp_path_factory.mktemp("named"))
    yield server
    stop(server)
