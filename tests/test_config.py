"""Configuration: one line naming the key on bad input; every setting documented."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from pydantic import BaseModel

from pressmon.config import Config, load_config, parse_config
from pressmon.errors import ConfigError
from samplesite import sample_config

ROOT = Path(__file__).resolve().parents[1]


def _write(tmp_path: Path, data: object) -> Path:
    path = tmp_path / "config.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return path


def _sample() -> dict:
    return yaml.safe_load(sample_config("http://127.0.0.1:9"))


def test_the_shipped_and_sample_configs_load() -> None:
    assert load_config(ROOT / "config.yaml").watch.name == "HKSTP"
    assert load_config(ROOT / "samplesite" / "sample-config.yaml").sources


@pytest.mark.parametrize(
    ("change", "where"),
    [
        (lambda d: d["sources"][1].update(kind="rss"), "sources[1].kind"),
        (lambda d: d["crawl"].update(timeout=-1), "crawl.timeout"),
        (lambda d: d["crawl"].update(speed=3), "crawl.speed: unknown key"),
        (lambda d: d["sources"][0].update(start_urls=["ftp://x"]), "sources[0].start_urls"),
        (lambda d: d["sources"][0].update(allow=["(unclosed"]), "sources[0].allow"),
        (lambda d: d["sources"][0]["schedule"].update(every="often"), "sources[0].schedule"),
        (lambda d: d["watch"].pop("aliases"), "watch.aliases"),
        (lambda d: d["sources"].append(dict(d["sources"][0])), "sources: source names"),
    ],
)
def test_a_bad_value_names_its_key(tmp_path: Path, change, where: str) -> None:
    data = _sample()
    change(data)
    with pytest.raises(ConfigError) as raised:
        load_config(_write(tmp_path, data))
    message = str(raised.value)
    assert where in message
    assert str(tmp_path / "config.yaml") in message
    assert "\n" not in message


def test_broken_yaml_names_the_line(tmp_path: Path) -> None:
    path = tmp_path / "config.yaml"
    path.write_text("watch:\n  name: [HKSTP\nsources: []\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"line \d+: not valid YAML"):
        load_config(path)


def test_a_missing_config_says_where_it_looked(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "pressmon", "articles", "--config", str(tmp_path / "no.yaml")],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=60,
        check=False,
    )
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert "no config file at" in lines[0] and str(tmp_path / "no.yaml") in lines[0]
    assert "PRESSMON_CONFIG" in lines[0]


def _models(model: type[BaseModel]) -> list[type[BaseModel]]:
    found = [model]
    for field in model.model_fields.values():
        for arg in (field.annotation, *getattr(field.annotation, "__args__", ())):
            if isinstance(arg, type) and issubclass(arg, BaseModel) and arg not in found:
                found += _models(arg)
    return found


def test_every_setting_has_help_text() -> None:
    undocumented = [
        f"{model.__name__}.{name}"
        for model in _models(Config)
        for name, field in model.model_fields.items()
        if not field.description
    ]
    assert undocumented == []


def test_every_catalogue_key_can_be_set_in_config_yaml() -> None:
    import dataclasses

    from figures.catalogue import Catalogue
    from figures.settings import FiguresSettings

    settable = set(FiguresSettings.model_fields) - {"window_days"}
    assert settable == {f.name for f in dataclasses.fields(Catalogue)}


def test_a_figures_key_replaces_the_shipped_one() -> None:
    shipped = Path(__file__).resolve().parents[1] / "config.yaml"
    data = yaml.safe_load(shipped.read_text(encoding="utf-8"))
    data["figures"] = {"window_days": 7, "uncounted": {"en": ["widgets"]}}
    config = parse_config(data, "config.yaml")
    assert config.window_days == 7
    assert config.catalogue.uncounted.en == ("widgets",)
