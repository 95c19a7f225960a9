"""Loading YAML/JSON data files (instruments, frameworks, seed resources) with schema validation.

Errors name the file and the line, so whoever edits a data file can fix it without reading code.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

_SafeLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

# Every user-facing text in a data file comes in English and Spanish.
BILINGUAL_TEXT: dict[str, Any] = {
    "type": "object",
    "properties": {
        "en": {"type": "string", "minLength": 1},
        "es": {"type": "string", "minLength": 1},
    },
    "required": ["en", "es"],
    "additionalProperties": False,
}


# Named answer scales of a questionnaire file ({name: [{value, label}, ...]}): instruments and
# pulse item sets share the shape; items name the set they use.
OPTION_SETS: dict[str, Any] = {
    "type": "object",
    "minProperties": 1,
    "additionalProperties": {
        "type": "array",
        "minItems": 2,
        "items": {
            "type": "object",
            "properties": {"value": {"type": "integer"}, "label": BILINGUAL_TEXT},
            "required": ["value", "label"],
            "additionalProperties": False,
        },
    },
}


def non_empty_list_of(properties: dict[str, Any], required: list[str]) -> dict[str, Any]:
    """The schema of a list of one or more objects that have only these properties, the ``required``
    ones always (a questionnaire's items, a framework's areas and criteria...)."""
    return {
        "type": "array",
        "minItems": 1,
        "items": {
            "type": "object",
            "properties": properties,
            "required": required,
            "additionalProperties": False,
        },
    }


class DataFileError(ValueError):
    """A data file is malformed. The message names the file, the line and what is wrong."""

    def __init__(self, path: Path | str, line: int | None, message: str):
        self.path, self.line, self.message = str(path), line, message
        where = f"{path}, line {line}" if line else str(path)
        super().__init__(f"{where}: {message}")


def _line_index(node: yaml.Node, index: dict[tuple, int], path: tuple = ()) -> None:
    index[path] = node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            _line_index(value_node, index, (*path, key_node.value))
            index.setdefault((*path, key_node.value), key_node.start_mark.line + 1)
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            _line_index(item, index, (*path, i))


def _line_for(index: dict[tuple, int], path: tuple) -> int | None:
    path = tuple(path)
    while path not in index and path:
        path = path[:-1]
    return index.get(path)


def load_yaml(
    path: Path | str, schema: dict[str, Any] | None = None
) -> tuple[Any, dict[tuple, int]]:
    """Parse a YAML file, validate it against a JSON schema and return (data, line index).

    The line index maps a path of keys/indexes to its line, for errors found after the schema check.
    """
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise DataFileError(path, None, f"cannot read file: {exc}") from exc
    # One parse with libyaml's C parser when installed (PyYAML's pure-Python one made loading the
    # instruments cost most of a second of CPU in every process); the same nodes give the line index.
    loader = _SafeLoader(text)
    try:
        node = loader.get_single_node()
        data = loader.construct_document(node) if node is not None else None
    except yaml.MarkedYAMLError as exc:
        line = exc.problem_mark.line + 1 if exc.problem_mark else None
        raise DataFileError(path, line, f"not valid YAML: {exc.problem}") from exc
    finally:
        loader.dispose()
    index: dict[tuple, int] = {}
    if node is not None:
        _line_index(node, index)
    if schema is not None:
        validate(data, schema, path, index)
    return data, index


def load_named_yaml(path: Path, schema: dict[str, Any]) -> tuple[Any, dict[tuple, int]]:
    """``load_yaml`` for a file whose ``id`` must be its name (an instrument, an item set, a
    framework): the name is what other files and stored rows refer to."""
    data, index = load_yaml(path, schema)
    if data["id"] != path.stem:
        raise DataFileError(
            path, line_of(index, "id"), f"id '{data['id']}' must match the file name '{path.stem}'"
        )
    return data, index


def option_sets(
    data: dict[str, Any], path: Path, index: dict[tuple, int]
) -> dict[str, tuple[tuple[int, dict[str, str]], ...]]:
    """A questionnaire's named answer scales (``OPTION_SETS``) as ``{name: ((value, label), ...)}``;
    a value given twice in one set is an error."""
    sets = {
        name: tuple((o["value"], {"en": o["label"]["en"], "es": o["label"]["es"]}) for o in opts)
        for name, opts in data["option_sets"].items()
    }
    for name, opts in sets.items():
        if len({value for value, _label in opts}) != len(opts):
            raise DataFileError(
                path, line_of(index, "option_sets", name), f"option set '{name}' repeats a value"
            )
    return sets


def validate(data: Any, schema: dict[str, Any], path: Path | str, index: dict[tuple, int]) -> None:
    import jsonschema  # imported where used: slow to load, and most processes never validate

    validator = jsonschema.Draft202012Validator(schema)
    errors = sorted(validator.iter_errors(data), key=lambda e: list(map(str, e.absolute_path)))
    if errors:
        err = jsonschema.exceptions.best_match(errors)
        where = "/".join(str(p) for p in err.absolute_path) or "(top level)"
        raise DataFileError(
            path, _line_for(index, tuple(err.absolute_path)), f"{where}: {err.message}"
        )


def line_of(index: dict[tuple, int], *path: Any) -> int | None:
    return _line_for(index, path)
