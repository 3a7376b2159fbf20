"""Packaging beyond pyproject.toml: the wheel carries compat/, bench/, faults/ and examples/ as parity/suite/*.

The repository keeps them at the top level (contributors run `pytest compat` there); parity/layout.py finds them in
either place. A folder added here must also be added to SUITE_FOLDERS in tests/test_wheel.py's guard.
"""

from setuptools import find_namespace_packages, setup

SUITE = {"compat": "compat", "compat.upstream_checks": "compat/upstream_checks", "bench": "bench",
         "faults": "faults", "examples": "examples"}

setup(
    packages=find_namespace_packages(include=["parity", "parity.*"], exclude=["*.__pycache__"])
    + [f"parity.suite.{name}" for name in SUITE],
    package_dir={f"parity.suite.{name}": folder for name, folder in SUITE.items()},
)
