"""Packaging beyond pyproject.toml: the wheel carries compat/, bench/, faults/ and examples/ as parity/suite/*.

The repository keeps them at the top level (contributors run `pytest compat` there); parity/layout.py finds them in
either place. Every subfolder is carried, with every file in it, so a new scenario folder or data file cannot be
left out by forgetting a list here (tests/test_wheel.py guards it against git's list of files).
"""

from pathlib import Path

from setuptools import find_namespace_packages, setup

TOP = ("compat", "bench", "faults", "examples")


def suite_folders() -> dict[str, str]:
    """Package name (dotted, under parity.suite) -> folder in the checkout, for each folder holding files."""
    found = {}
    for top in TOP:
        for folder in [Path(top), *sorted(p for p in Path(top).rglob("*") if p.is_dir())]:
            if "__pycache__" not in folder.parts:
                found[".".join(folder.parts)] = folder.as_posix()
    return found


SUITE = suite_folders()

setup(
    packages=find_namespace_packages(include=["parity", "parity.*"], exclude=["*.__pycache__"])
    + [f"parity.suite.{name}" for name in SUITE],
    package_dir={f"parity.suite.{name}": folder for name, folder in SUITE.items()},
    package_data={"parity": ["schema/*.json", "*.toml", "langgraph_tests/*.toml", "render/*.js", "render/*.css", "templates/*", "suite_pytest.ini"],
                  **{f"parity.suite.{name}": ["*"] for name in SUITE}},
    exclude_package_data={f"parity.suite.{name}": ["*.pyc"] for name in SUITE},
)
