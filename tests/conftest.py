# Copyright (c) swanfleet.ipsec contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or
# https://www.gnu.org/licenses/gpl-3.0.txt)
"""Make the collection importable as ``ansible_collections.swanfleet.ipsec``,
and the lab tool as ``swanlab``.

``.build/collections/ansible_collections/swanfleet/ipsec`` is a link to this
repository (``make bootstrap``). Every test directory below sees this file.
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

for path in (str(ROOT / ".build" / "collections"), str(ROOT / "lab")):
    if path not in sys.path:
        sys.path.insert(0, path)
