"""YamlDocument: line numbers for field paths, file errors, ``${VAR}`` interpolation."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from agbotkit.config.document import FieldPath, YamlDocument, format_path
from agbotkit.errors import ConfigError

NESTED = """\
stack:
  name: demo
components:
  feed:
    kind: heartbeat
    needs:
      - a
      - b
    limits:
      - size: 1
        price: 2

      - size: 3
    flow: [p, q]
"""


@pytest.mark.parametrize(
    ("path", "line"),
    [
        pytest.param((), 1, id="root"),
        pytest.param(("stack",), 1, id="top-level-key"),
        pytest.param(("stack", "name"), 2, id="nested-key"),
        pytest.param(("components", "feed", "kind"), 5, id="deeper-key"),
        pytest.param(("components", "feed", "needs"), 6, id="list-key"),
        pytest.param(("components", "feed", "needs", 0), 7, id="list-item-0"),
        pytest.param(("components", "feed", "needs", 1), 8, id="list-item-1"),
        pytest.param(("components", "feed", "limits", 0), 10, id="mapping-in-list"),
        pytest.param(("components", "feed", "limits", 0, "price"), 11, id="key-in-list-item"),
        pytest.param(("components", "feed", "limits", 1, "size"), 13, id="after-blank-line"),
        pytest.param(("components", "feed", "flow", 1), 14, id="flow-list-item"),
        pytest.param(("components", "feed", "missing"), 4, id="absent-key-gives-parent"),
        pytest.param(("components", "feed", "needs", 5), 6, id="index-out-of-range"),
        pytest.param(("components", "feed", "needs", -1), 6, id="negative-index"),
        pytest.param(("stack", 0), 1, id="index-into-mapping"),
        pytest.param(("components", "feed", "needs", "a"), 6, id="key-into-list"),
        pytest.param(("stack", "name", "deeper"), 2, id="below-a-scalar"),
    ],
)
def test_line_of(path: FieldPath, line: int) -> None:
    assert YamlDocument(NESTED).line_of(path) == line


@pytest.mark.parametrize("text", ["", "# only a comment\n", "42\n", "just text\n"])
def test_line_of_a_document_without_nodes_is_none(text: str) -> None:
    assert YamlDocument(text).line_of(()) is None
    assert YamlDocument(text).line_of(("anything", 0)) is None


def test_line_of_a_merged_key() -> None:
    document = YamlDocument("base: &b\n  x: 1\nderived:\n  <<: *b\n  y: 2\n")
    assert document.data == {"base": {"x": 1}, "derived": {"x": 1, "y": 2}}
    assert document.line_of(("derived", "x")) in (2, 4)


MERGES = """\
base: &b
  x: 1
  sub:
    z: 3
first:
  <<: *b
middle:
  y: 2

  <<: *b
  w: 4
listed:
  <<: [*b]
flow: {y: 1, <<: *b}
items:
  - q: 1
    <<: *b
"""


@pytest.mark.parametrize(
    ("path", "line"),
    [
        (("first", "x"), 6),
        (("first", "sub", "z"), 6),  # not followed into the anchor
        (("middle", "y"), 8),
        (("middle", "x"), 10),
        (("middle", "w"), 11),
        (("listed", "x"), 13),
        (("flow", "x"), 14),
        (("items", 0, "x"), 17),
        (("items", 0, "q"), 16),
        (("base", "sub", "z"), 4),
    ],
)
def test_a_merged_key_is_placed_at_its_merge_entry(path: FieldPath, line: int) -> None:
    document = YamlDocument(MERGES)
    assert document.value_at(path) is not None
    assert document.line_of(path) == line


def test_issue_names_file_line_and_path() -> None:
    issue = YamlDocument(NESTED, "feed.yaml").issue(
        ("components", "feed", "limits", 1, "size"), "expected a value > 3, got 3"
    )
    assert str(issue) == "feed.yaml:13: components.feed.limits[1].size: expected a value > 3, got 3"
    assert (issue.file, issue.line, issue.path) == (
        "feed.yaml",
        13,
        "components.feed.limits[1].size",
    )


@pytest.mark.parametrize(
    ("path", "text"),
    [
        ((), ""),
        (("stack",), "stack"),
        (("components", "risk", "limits", 0, "size"), "components.risk.limits[0].size"),
        ((0, "a"), "[0].a"),
        (("a", 0, 1), "a[0][1]"),
    ],
)
def test_format_path(path: FieldPath, text: str) -> None:
    assert format_path(path) == text


def test_value_at() -> None:
    document = YamlDocument(NESTED)
    assert document.value_at(("components", "feed", "limits", 1)) == {"size": 3}
    assert document.value_at(()) is document.data
    with pytest.raises(KeyError):
        document.value_at(("components", "nope"))


def test_data_is_plain_python() -> None:
    document = YamlDocument("a: 1.5\nb: [1, {c: null}]\nd: true\n")
    assert document.data == {"a": 1.5, "b": [1, {"c": None}], "d": True}
    assert type(document.data) is dict
    assert type(document.data["a"]) is float
    assert type(document.data["b"]) is list
    assert type(document.data["b"][0]) is int


def test_from_file_names_the_file_and_its_folder(write_yaml: Callable[..., Path]) -> None:
    path = write_yaml("a: 1\n", "sub/x.yaml")
    document = YamlDocument.from_file(path)
    assert document.file == str(path)
    assert document.base_dir == path.resolve().parent
    assert document.data == {"a": 1}


def test_string_document_defaults() -> None:
    document = YamlDocument("a: 1\n")
    assert document.file == "<string>"
    assert document.base_dir == Path.cwd()


def test_missing_file(tmp_path: Path) -> None:
    path = tmp_path / "missing.yaml"
    with pytest.raises(ConfigError) as caught:
        YamlDocument.from_file(path)
    [issue] = caught.value.issues
    assert (issue.file, issue.line, issue.path) == (str(path), None, "")
    assert str(caught.value) == f"{path}: cannot read: No such file or directory"


def test_folder_instead_of_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as caught:
        YamlDocument.from_file(tmp_path)
    assert str(caught.value) == f"{tmp_path}: cannot read: Is a directory"


def test_file_that_is_not_utf8(tmp_path: Path) -> None:
    path = tmp_path / "latin1.yaml"
    path.write_bytes("name: caf\xe9\n".encode("latin-1"))
    with pytest.raises(ConfigError) as caught:
        YamlDocument.from_file(path)
    [issue] = caught.value.issues
    assert issue.file == str(path)
    assert "UTF-8" in issue.message or "utf-8" in issue.message


def test_file_that_is_not_utf8_names_the_line_and_the_byte(tmp_path: Path) -> None:
    path = tmp_path / "latin1.yaml"
    path.write_bytes(b"a: 1\nname: caf\xe9\n")
    with pytest.raises(ConfigError) as caught:
        YamlDocument.from_file(path)
    assert str(caught.value) == (
        f"{path}:2: not UTF-8 text: byte 0xe9 at offset 14 cannot be decoded "
        "(save the file as UTF-8)"
    )


def test_syntax_error_has_a_line() -> None:
    with pytest.raises(ConfigError) as caught:
        YamlDocument("a: 1\nb: [1, 2\nc: 3\n", "x.yaml")
    [issue] = caught.value.issues
    assert (issue.file, issue.line, issue.path) == ("x.yaml", 3, "")
    assert str(issue) == "x.yaml:3: YAML syntax error: expected ',' or ']', but got ':'"


def test_keys_must_be_strings() -> None:
    with pytest.raises(ConfigError) as caught:
        YamlDocument("components:\n  1: a\n  ok: c\n  2.5: b\n", "x.yaml")
    # The path is the enclosing mapping's (a refused key has no field path); the line is
    # the key's own.
    assert [str(issue) for issue in caught.value.issues] == [
        "x.yaml:2: components: keys must be strings, got 1",
        "x.yaml:4: components: keys must be strings, got 2.5",
    ]


ENV = {
    "A": "1",
    "EMPTY": "",
    "TRUE": "true",
    "LIST": "[1, 2]",
    "MAP": "a: b",
    "F": "1.5",
    "WORDS": "hello world",
    "NULL": "null",
    "SPACE": " ",
}


@pytest.mark.parametrize(
    ("value", "result"),
    [
        pytest.param("${A}", 1, id="whole-value-int"),
        pytest.param("${F}", 1.5, id="whole-value-float"),
        pytest.param("${TRUE}", True, id="whole-value-bool"),
        pytest.param("${NULL}", None, id="whole-value-null"),
        pytest.param("${WORDS}", "hello world", id="whole-value-text"),
        pytest.param("${LIST}", "[1, 2]", id="whole-value-list-text-stays-text"),
        pytest.param("${MAP}", "a: b", id="whole-value-mapping-text-stays-text"),
        pytest.param("${SPACE}", " ", id="whole-value-blank-stays-text"),
        pytest.param("${UNSET:-8080}", 8080, id="default-int"),
        pytest.param("${UNSET:-a b}", "a b", id="default-text"),
        pytest.param("${UNSET:-}", "", id="empty-default"),
        pytest.param("${EMPTY:-d}", "d", id="empty-variable-takes-default"),
        pytest.param("${EMPTY}", "", id="empty-variable-without-default"),
        pytest.param("${A:-9}", 1, id="set-variable-ignores-default"),
        pytest.param("${A}${A}", "11", id="two-references-stay-text"),
        pytest.param("x-${A}", "x-1", id="embedded-stays-text"),
        pytest.param("${A}.${F}", "1.1.5", id="embedded-two"),
        pytest.param("$${UNSET}", "${UNSET}", id="escaped-stays-literal"),
        pytest.param("$${UNSET}-${A}", "${UNSET}-1", id="escaped-next-to-reference"),
        pytest.param("$A", "$A", id="no-braces-is-not-a-reference"),
        pytest.param("${1A}", "${1A}", id="invalid-name-is-not-a-reference"),
        pytest.param("cost: $5", "cost: $5", id="dollar-sign"),
    ],
)
def test_interpolation(value: str, result: Any) -> None:
    # Written as a block scalar: unquoted, so a whole reference is typed like YAML's text.
    document = YamlDocument(f"v: >-\n  {value}\n", environ=ENV)
    assert document.data == {"v": result}


@pytest.mark.parametrize("quote", ["'", '"'])
def test_a_quoted_reference_stays_a_string(quote: str) -> None:
    # A wallet address or a number in a quoted value must not become an int.
    environ = {**ENV, "WALLET": "0x12ab", "PORT": "8080"}
    text = f"a: {quote}${{WALLET}}{quote}\nb: {quote}${{PORT}}{quote}\nc: ${{PORT}}\n"
    document = YamlDocument(text, environ=environ)
    assert document.data == {"a": "0x12ab", "b": "8080", "c": 8080}


def test_interpolation_in_lists_and_nested_mappings() -> None:
    document = YamlDocument("a:\n  - ${A}\n  - {b: '${UNSET:-x}'}\n", environ=ENV)
    assert document.data == {"a": [1, {"b": "x"}]}


def test_keys_and_non_strings_are_not_interpolated() -> None:
    document = YamlDocument("${A}: 1\nb: 2\n", environ=ENV)
    assert document.data == {"${A}": 1, "b": 2}


def test_missing_variables_are_all_reported_with_their_lines() -> None:
    with pytest.raises(ConfigError) as caught:
        YamlDocument("a: ${U}-${V}\nb:\n  - ok\n  - ${W}\nc: ${W:-fine}\n", "x.yaml", environ={})
    hint = "to give a default)"
    assert [str(issue) for issue in caught.value.issues] == [
        f"x.yaml:1: a: environment variable 'U' is not set (write ${{U:-default}} {hint}",
        f"x.yaml:1: a: environment variable 'V' is not set (write ${{V:-default}} {hint}",
        f"x.yaml:4: b[1]: environment variable 'W' is not set (write ${{W:-default}} {hint}",
    ]


def test_environ_defaults_to_the_process_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AGBOTKIT_TEST_DOC", "42")
    monkeypatch.delenv("AGBOTKIT_TEST_DOC_UNSET", raising=False)
    document = YamlDocument("a: ${AGBOTKIT_TEST_DOC}\nb: ${AGBOTKIT_TEST_DOC_UNSET:-no}\n")
    assert document.data == {"a": 42, "b": "no"}


def test_quoted_keys_and_values_come_out_as_plain_strings() -> None:
    # JSON is YAML with every string quoted: nothing of ruamel's string subclasses may leak
    # (they would reach encoders such as msgspec, which refuse them).
    document = YamlDocument('{"a": {"b": ["c", "${A}"]}}', environ=ENV)
    assert document.data == {"a": {"b": ["c", "1"]}}

    def types(value: Any) -> set[type]:
        if isinstance(value, dict):
            return {type(k) for k in value} | {t for v in value.values() for t in types(v)}
        if isinstance(value, list):
            return {t for v in value for t in types(v)}
        return {type(value)}

    assert types(document.data) == {str}
