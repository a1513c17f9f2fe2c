"""The execution environment definition agrees with the collection it packages."""

from __future__ import annotations

import re
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[3]
EE_FILE = ROOT / "meta" / "execution-environment.yml"


def ee() -> dict:
    return yaml.safe_load(EE_FILE.read_text())


def requirement_names(text: str) -> dict[str, str]:
    pins = {}
    for line in text.splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            name = re.match(r"[A-Za-z0-9_.\-\[\]]+", line).group(0)
            pins[name.lower()] = line
    return pins


def test_it_is_an_ansible_builder_3_definition() -> None:
    definition = ee()
    assert definition["version"] == 3
    assert set(definition) <= {
        "version",
        "images",
        "dependencies",
        "additional_build_files",
        "additional_build_steps",
        "build_arg_defaults",
        "options",
    }
    assert "package_pip" in definition["dependencies"]["ansible_core"]
    assert "package_pip" in definition["dependencies"]["ansible_runner"]


def test_python_requirements_resolve_for_both_readers() -> None:
    # ansible-builder resolves the path from this file's directory when it builds
    # from it, and from the collection's root when it reads an installed collection
    path = ee()["dependencies"]["python"]
    assert isinstance(path, str) and not Path(path).is_absolute()
    from_meta = (EE_FILE.parent / path).read_text()
    from_root = (ROOT / path).read_text()
    assert from_meta == from_root
    pins = requirement_names(from_meta)
    assert {"netaddr", "dnspython", "cryptography"} <= set(pins)


def test_python_pins_match_the_controllers() -> None:
    ours = requirement_names((ROOT / ee()["dependencies"]["python"]).read_text())
    controller = requirement_names((ROOT / "requirements.txt").read_text())
    for name, pin in ours.items():
        assert controller.get(name) == pin, name


def test_the_collection_and_its_dependencies_are_installed() -> None:
    galaxy = yaml.safe_load((ROOT / "galaxy.yml").read_text())
    collections = ee()["dependencies"]["galaxy"]["collections"]
    names = {c["name"] for c in collections}
    assert set(galaxy["dependencies"]) <= names
    tarball = f"{galaxy['namespace']}-{galaxy['name']}-{galaxy['version']}.tar.gz"
    assert any(
        c.get("type") == "file" and c["name"].endswith("/" + tarball)
        for c in collections
    ), f"the definition installs no {tarball}: update it with galaxy.yml's version"
