"""What Meta accepts in ``POST /{version}/{phone_number_id}/messages``, and a plain-text rendering.

Limits are those of the Cloud API reference (text body 4096 characters; 1 to 3 reply
buttons with titles up to 20; list messages with 1 to 10 sections and at most 10 rows,
row titles up to 24). A send Meta would refuse is refused here with code 100 and a
``details`` that names the parameter, so notify learns of the bug in tests, not in production.
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from wa_sandbox.domain.approved_templates import fill
from wa_sandbox.domain.graph_errors import GraphError, invalid_parameter
from wa_sandbox.domain.phones import InvalidPhone, to_wa_id

# Every type the Cloud API knows; a type outside this list is refused the way Meta refuses it.
META_TYPES = ("audio", "contacts", "document", "image", "interactive", "location", "reaction",
              "sticker", "template", "text", "video")
SIMULATED_TYPES = ("text", "interactive", "template")

TEXT_BODY_MAX = 4096
BUTTON_BODY_MAX = 1024
LIST_BODY_MAX = 4096
HEADER_TEXT_MAX = 60
FOOTER_TEXT_MAX = 60
REPLY_BUTTONS_MAX = 3
BUTTON_TITLE_MAX = 20
BUTTON_ID_MAX = 256
LIST_BUTTON_MAX = 20
LIST_SECTIONS_MAX = 10
LIST_ROWS_MAX = 10
ROW_TITLE_MAX = 24
ROW_ID_MAX = 200
ROW_DESCRIPTION_MAX = 72
SECTION_TITLE_MAX = 24


@dataclass(frozen=True)
class AcceptedSend:
    """A send body Meta would accept: to whom, of which type, and how it reads."""

    to: str
    wa_id: str
    type: str
    text: str


def accept_send(body: Any) -> AcceptedSend:
    """Validate a send body like Meta does; raise :class:`GraphError` (code 100) otherwise."""
    if not isinstance(body, Mapping):
        raise invalid_parameter("The request body must be a JSON object.")
    _require_messaging_product(body)
    to, wa_id = _recipient(body)
    message_type = body.get("type", "text")  # Meta defaults a send without type to text
    if message_type not in META_TYPES:
        choices = ", ".join(t.upper() for t in META_TYPES)
        raise invalid_parameter(f"Param type must be one of {{{choices}}} - got {message_type!r}.",
                                message=f"(#100) Param type must be one of {{{choices}}} - got "
                                        f"\"{message_type}\".")
    if message_type not in SIMULATED_TYPES:
        raise invalid_parameter(f"The sandbox simulates only {', '.join(SIMULATED_TYPES)} messages; "
                                f"a {message_type} message cannot be recorded.")
    return AcceptedSend(to=to, wa_id=wa_id, type=message_type, text=_RENDER[message_type](body))


def _require_messaging_product(body: Mapping[str, Any]) -> None:
    product = body.get("messaging_product")
    if product is None:
        raise _missing("messaging_product")
    if product != "whatsapp":
        raise invalid_parameter(f"Param messaging_product must be 'whatsapp' - got {product!r}.")


def _recipient(body: Mapping[str, Any]) -> tuple[str, str]:
    to = body.get("to")
    if to is None or to == "":
        raise _missing("to")
    if not isinstance(to, str):
        raise invalid_parameter("Param to must be a string: the recipient's phone number.")
    try:
        return to, to_wa_id(to)
    except InvalidPhone as exc:
        raise invalid_parameter(f"Param to is invalid: {exc}.") from exc


def _render_text(body: Mapping[str, Any]) -> str:
    text = _object(body, "text", "text")
    return _string(text, "body", "text['body']", maximum=TEXT_BODY_MAX)


def _render_interactive(body: Mapping[str, Any]) -> str:
    interactive = _object(body, "interactive", "interactive")
    kind = interactive.get("type")
    if kind not in ("button", "list"):
        raise invalid_parameter(
            f"Param interactive['type'] must be 'button' or 'list' in the sandbox - got {kind!r}.")
    action = _object(interactive, "action", "interactive['action']")
    maximum = BUTTON_BODY_MAX if kind == "button" else LIST_BODY_MAX
    lines = _frame(interactive, maximum)
    lines.extend(_button_lines(action) if kind == "button" else _list_lines(action))
    return "\n".join(lines)


def _frame(interactive: Mapping[str, Any], body_max: int) -> list[str]:
    """Header, body and footer of an interactive message, as lines of text."""
    lines: list[str] = []
    header = interactive.get("header")
    if header is not None:
        header = _expect_mapping(header, "interactive['header']")
        if header.get("type", "text") == "text":
            lines.append(_string(header, "text", "interactive['header']['text']", maximum=HEADER_TEXT_MAX))
    body = _object(interactive, "body", "interactive['body']")
    lines.append(_string(body, "text", "interactive['body']['text']", maximum=body_max))
    footer = interactive.get("footer")
    if footer is not None:
        footer = _expect_mapping(footer, "interactive['footer']")
        lines.append(_string(footer, "text", "interactive['footer']['text']", maximum=FOOTER_TEXT_MAX))
    return lines


def _button_lines(action: Mapping[str, Any]) -> list[str]:
    buttons = _list(action, "buttons", "interactive['action']['buttons']")
    if len(buttons) > REPLY_BUTTONS_MAX:
        raise invalid_parameter(f"Param interactive['action']['buttons'] may hold at most "
                                f"{REPLY_BUTTONS_MAX} reply buttons - got {len(buttons)}.")
    titles = []
    seen_ids: set[str] = set()
    for index, button in enumerate(buttons):
        where = f"interactive['action']['buttons'][{index}]"
        button = _expect_mapping(button, where)
        if button.get("type") != "reply":
            raise invalid_parameter(f"Param {where}['type'] must be 'reply'.")
        reply = _object(button, "reply", f"{where}['reply']")
        button_id = _string(reply, "id", f"{where}['reply']['id']", maximum=BUTTON_ID_MAX)
        if button_id in seen_ids:
            raise invalid_parameter(f"Param {where}['reply']['id'] repeats the id {button_id!r}; "
                                    "button ids must be unique.")
        seen_ids.add(button_id)
        titles.append(_string(reply, "title", f"{where}['reply']['title']", maximum=BUTTON_TITLE_MAX))
    return [" ".join(f"[{title}]" for title in titles)]


def _list_lines(action: Mapping[str, Any]) -> list[str]:
    label = _string(action, "button", "interactive['action']['button']", maximum=LIST_BUTTON_MAX)
    sections = _list(action, "sections", "interactive['action']['sections']")
    if len(sections) > LIST_SECTIONS_MAX:
        raise invalid_parameter(f"Param interactive['action']['sections'] may hold at most "
                                f"{LIST_SECTIONS_MAX} sections - got {len(sections)}.")
    rows = [row for index, section in enumerate(sections)
            for row in _section_rows(section, index, titled=len(sections) > 1)]
    if len(rows) > LIST_ROWS_MAX:
        raise invalid_parameter(f"Param interactive['action']['sections'] may hold at most "
                                f"{LIST_ROWS_MAX} rows in all - got {len(rows)}.")
    ids = [row_id for row_id, _ in rows]
    if len(set(ids)) != len(ids):
        raise invalid_parameter("Row ids in interactive['action']['sections'] must be unique.")
    return [f"[{label}]", *(f"- {title}" for _, title in rows)]


def _section_rows(section: Any, index: int, *, titled: bool) -> list[tuple[str, str]]:
    where = f"interactive['action']['sections'][{index}]"
    section = _expect_mapping(section, where)
    if titled or "title" in section:
        _string(section, "title", f"{where}['title']", maximum=SECTION_TITLE_MAX)
    rows = []
    for row_index, row in enumerate(_list(section, "rows", f"{where}['rows']")):
        row_where = f"{where}['rows'][{row_index}]"
        row = _expect_mapping(row, row_where)
        row_id = _string(row, "id", f"{row_where}['id']", maximum=ROW_ID_MAX)
        title = _string(row, "title", f"{row_where}['title']", maximum=ROW_TITLE_MAX)
        if "description" in row:
            _string(row, "description", f"{row_where}['description']", maximum=ROW_DESCRIPTION_MAX)
        rows.append((row_id, title))
    return rows


def _render_template(body: Mapping[str, Any]) -> str:
    template = _object(body, "template", "template")
    name = _string(template, "name", "template['name']", maximum=512)
    language = _object(template, "language", "template['language']")
    code = _string(language, "code", "template['language']['code']", maximum=15)
    components = template.get("components", [])
    if not isinstance(components, list):
        raise invalid_parameter("Param template['components'] must be a list.")
    parameters = [_parameter_text(parameter, f"template['components'][{index}]")
                  for index, component in enumerate(components)
                  for parameter in _component_parameters(component, index)]
    approved = fill(name, code, parameters)
    if approved is not None:
        return approved
    rendered = f"{name} ({code})"
    return f"{rendered}: {' | '.join(parameters)}" if parameters else rendered


def _component_parameters(component: Any, index: int) -> Sequence[Any]:
    where = f"template['components'][{index}]"
    component = _expect_mapping(component, where)
    if component.get("type") not in ("header", "body", "button", "footer"):
        raise invalid_parameter(f"Param {where}['type'] must be header, body, button or footer.")
    parameters = component.get("parameters", [])
    if not isinstance(parameters, list):
        raise invalid_parameter(f"Param {where}['parameters'] must be a list.")
    return parameters


def _parameter_text(parameter: Any, where: str) -> str:
    parameter = _expect_mapping(parameter, f"{where}['parameters'][]")
    kind = parameter.get("type")
    if kind == "text":
        return _string(parameter, "text", f"{where}['parameters'][]['text']", maximum=32768)
    if kind == "payload":
        return str(parameter.get("payload", ""))
    if kind in ("currency", "date_time"):
        return str(_object(parameter, kind, f"{where}['parameters'][]['{kind}']").get("fallback_value", ""))
    if not isinstance(kind, str):
        raise _missing(f"{where}['parameters'][]['type']")
    return f"<{kind}>"


def _object(parent: Mapping[str, Any], key: str, where: str) -> Mapping[str, Any]:
    if key not in parent or parent[key] is None:
        raise _missing(where)
    return _expect_mapping(parent[key], where)


def _expect_mapping(value: Any, where: str) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise invalid_parameter(f"Param {where} must be an object.")
    return value


def _list(parent: Mapping[str, Any], key: str, where: str) -> list[Any]:
    value = parent.get(key)
    if value is None:
        raise _missing(where)
    if not isinstance(value, list) or not value:
        raise invalid_parameter(f"Param {where} must be a non-empty list.")
    return value


def _string(parent: Mapping[str, Any], key: str, where: str, *, maximum: int) -> str:
    value = parent.get(key)
    if value is None or value == "":
        raise _missing(where)
    if not isinstance(value, str):
        raise invalid_parameter(f"Param {where} must be a string.")
    if len(value) > maximum:
        raise invalid_parameter(f"Param {where} must be at most {maximum} characters long - got "
                                f"{len(value)}.",
                                message=f"(#100) Param {where} must be at most {maximum} characters long.")
    return value


def _missing(where: str) -> GraphError:
    return invalid_parameter(f"The parameter {where} is required.",
                             message=f"(#100) The parameter {where} is required.")


_RENDER = {"text": _render_text, "interactive": _render_interactive, "template": _render_template}
