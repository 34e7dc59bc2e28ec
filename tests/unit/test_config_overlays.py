"""config/tiny.yaml and config/full.yaml are overlays merged over config/config.yaml (the one home of the
defaults, with the schemas): they name only keys that exist there, and tiny.yaml only those it changes."""

import pytest
import yaml

from tests.conftest import REPO


def _load(name):
    return yaml.safe_load((REPO / "config" / name).read_text())


def _leaves(overlay, base, path=""):
    for key, value in overlay.items():
        here = f"{path}{key}"
        assert key in base, f"{here} is not a key of config/config.yaml"
        if isinstance(value, dict) and isinstance(base[key], dict) and base[key]:
            yield from _leaves(value, base[key], here + ".")
        else:
            yield here, value, base[key]


@pytest.mark.parametrize("name", ["tiny.yaml", "full.yaml"])
def test_an_overlay_names_only_keys_of_the_default_config(name):
    assert list(_leaves(_load(name), _load("config.yaml")))


def test_the_tiny_overlay_sets_only_what_it_changes():
    same = [path for path, value, default in _leaves(_load("tiny.yaml"), _load("config.yaml")) if value == default]
    assert not same, f"config/tiny.yaml repeats the defaults of {same}"
