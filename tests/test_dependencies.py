"""The suite runs with the versions in requirements.lock, and the lock covers what pyproject.toml asks for.

A fresh install once got a newer django-filter than the suite had passed with, and sales exports
answered 500: tests that ran with whatever happened to be installed proved nothing about a new
machine. `make run`, `make test` and CI install with `-c requirements.lock`; these tests fail when
the environment drifts from the lock or the lock misses a dependency.
"""

import tomllib
from importlib import metadata
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parent.parent


def locked() -> dict[str, str]:
    """{name: version} of the pins that apply to this interpreter and platform (the lock is universal:
    a pin may carry a marker such as `; python_full_version < '3.11.3'`)."""
    pins = {}
    for line in (ROOT / "requirements.lock").read_text().splitlines():
        line = line.split("  #", 1)[0].strip()
        if not line or line.startswith("#"):
            continue
        requirement = Requirement(line)
        (spec,) = requirement.specifier
        assert spec.operator == "==", f"requirements.lock: {line!r} is not an exact pin"
        if requirement.marker is None or requirement.marker.evaluate():
            pins[canonicalize_name(requirement.name)] = spec.version
    return pins


def declared() -> list[Requirement]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    extras = [item for group in project.get("optional-dependencies", {}).values() for item in group]
    return [Requirement(item) for item in [*project["dependencies"], *extras]]


def test_every_dependency_is_locked_at_a_version_its_range_allows():
    pins = locked()
    assert pins, "requirements.lock holds no pins"
    for requirement in declared():
        name = canonicalize_name(requirement.name)
        assert name in pins, f"{requirement.name} is in pyproject.toml but not in requirements.lock: run `make lock`"
        assert requirement.specifier.contains(pins[name], prereleases=True), (
            f"requirements.lock pins {requirement.name}=={pins[name]}, outside pyproject.toml's {requirement.specifier}"
        )


def test_the_installed_packages_are_the_locked_versions():
    drifted = []
    for name, version in locked().items():
        try:
            installed = metadata.version(name)
        except metadata.PackageNotFoundError:
            drifted.append(f"{name}: not installed (locked {version})")
            continue
        if installed != version:
            drifted.append(f"{name}: {installed} installed, {version} locked")
    assert not drifted, "install with `pip install -c requirements.lock -e '.[dev]'` (make test does):\n" + "\n".join(
        drifted
    )
