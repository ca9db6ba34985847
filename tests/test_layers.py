"""The apps stay in layers (.importlinter, also run by bin/test): a lower app never
imports a higher one, imports inside functions included, so there is no cycle.
What a lower app's event means to a higher one travels as a signal (workflow.signals,
schedule.signals, plans.signals) connected in the higher app's AppConfig.ready()."""
import configparser
from pathlib import Path

from django.apps import apps
from importlinter import configuration
from importlinter.application.use_cases import lint_imports

configuration.configure()  # what the lint-imports command does first

ROOT = Path(__file__).resolve().parent.parent
CONFIG = ROOT / ".importlinter"


def _read(path=CONFIG):
    config = configparser.ConfigParser()
    config.read(path)
    return config


def _lines(text):
    return [line.strip() for line in text.splitlines() if line.strip()]


def test_the_layers_contract_is_kept(capsys):
    kept = lint_imports(config_filename=str(CONFIG), cache_dir=None, no_logo=True)
    assert kept, capsys.readouterr().out


def test_every_app_of_the_project_is_in_one_layer_in_installed_order():
    config = _read()
    ours = [app.name for app in apps.get_app_configs() if Path(app.path).parent == ROOT]
    layers = _lines(config["importlinter:contract:layers"]["layers"])
    assert sorted(_lines(config["importlinter"]["root_packages"])) == sorted(ours + ["core"])
    # Top to bottom in the contract is bottom to top in INSTALLED_APPS.
    assert list(reversed(layers)) == ["core", *ours]


def test_the_contract_catches_an_app_importing_a_higher_one(tmp_path, capsys):
    """Swap two layers (plans above workflow): plans' lower position is what the
    real contract checks, so with the order reversed workflow → plans must break it."""
    config = _read()
    layers = _lines(config["importlinter:contract:layers"]["layers"])
    i, j = layers.index("workflow"), layers.index("plans")
    layers[i], layers[j] = layers[j], layers[i]
    config["importlinter:contract:layers"]["layers"] = "\n" + "\n".join(layers)
    swapped = tmp_path / ".importlinter"
    with swapped.open("w") as handle:
        config.write(handle)
    assert not lint_imports(config_filename=str(swapped), cache_dir=None, no_logo=True)
    assert "workflow is not allowed to import plans" in capsys.readouterr().out
