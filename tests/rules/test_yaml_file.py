"""Rules files are read by libyaml when it accepts them, with the same data and places as
the pure-Python parser gives; a file it rejects is reported in the pure parser's words."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from monitor.errors import Location, RuleError
from monitor.rules import yaml_file

SHIPPED = sorted((Path(__file__).resolve().parents[2] / "rules").glob("*.yaml"))


def pure_documents(path: Path) -> list[yaml_file.YamlDocument]:
    loader = yaml.SafeLoader(path.read_text(encoding="utf-8"))
    documents = []
    while loader.check_node():
        document = yaml_file.YamlDocument(str(path), None)
        document.data = yaml_file._convert(loader, loader.get_node(), (), document)
        documents.append(document)
    loader.dispose()
    return documents


@pytest.mark.skipif(yaml_file.FAST_LOADER is yaml.SafeLoader, reason="PyYAML without libyaml")
@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: p.name)
def test_the_fast_parser_gives_the_same_data_and_places(path: Path) -> None:
    fast = list(yaml_file.read_documents(path))
    pure = pure_documents(path)
    assert [d.data for d in fast] == [d.data for d in pure]
    # Strings are taken without PyYAML's constructor: the data is still what it builds.
    assert [d.data for d in fast] == list(yaml.safe_load_all(path.read_text(encoding="utf-8")))
    assert list(map(locations, fast)) == list(map(locations, pure))


def locations(document: yaml_file.YamlDocument) -> dict[yaml_file.KeyPath, Location]:
    return {at: document.location(mark) for at, mark in document.marks.items()}


def test_a_file_libyaml_rejects_is_reported_in_the_pure_parsers_words(tmp_path: Path) -> None:
    path = tmp_path / "broken.yaml"
    path.write_text("id: r\ntitle: T\nterms:\n\ta: [x]\n", encoding="utf-8")
    with pytest.raises(RuleError) as caught:
        list(yaml_file.read_documents(path))
    assert str(caught.value) == f"{path}:4:1: invalid YAML: a tab; YAML indents with spaces"
