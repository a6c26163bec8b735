"""A browser-free user agent for tests: read an HTML form and submit it as a person would."""

from __future__ import annotations

from dataclasses import dataclass, field
from html.parser import HTMLParser


@dataclass
class Form:
    action: str
    method: str
    fields: list[tuple[str, str]] = field(default_factory=list)
    buttons: dict[str, tuple[str, str]] = field(default_factory=dict)  # label -> (name, value)

    def data(self, button: str | None = None) -> list[tuple[str, str]]:
        """Return what the browser sends when ``button`` (its visible label) is clicked."""
        data = list(self.fields)
        if button is not None:
            name, value = self.buttons[button]
            if name:
                data.append((name, value))
        return data


class _FormParser(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.forms: list[Form] = []
        self._button: dict[str, str] | None = None
        self._label = ""

    def handle_starttag(self, tag, attrs):
        a = {k: v or "" for k, v in attrs}
        if tag == "form":
            self.forms.append(Form(action=a.get("action", ""), method=a.get("method", "get")))
        elif tag == "input" and self.forms:
            kind = a.get("type", "text").lower()
            if kind in ("checkbox", "radio") and "checked" not in a:
                return
            if kind == "submit":
                self.forms[-1].buttons[a.get("value", "")] = (a.get("name", ""), a.get("value", ""))
            elif a.get("name"):
                self.forms[-1].fields.append((a["name"], a.get("value", "")))
        elif tag == "button" and self.forms:
            self._button, self._label = a, ""

    def handle_data(self, data):
        if self._button is not None:
            self._label += data

    def handle_endtag(self, tag):
        if tag == "button" and self._button is not None and self.forms:
            button = self._button
            self.forms[-1].buttons[self._label.strip()] = (
                button.get("name", ""),
                button.get("value", ""),
            )
            self._button = None


def forms(html: str) -> list[Form]:
    """Return the forms of a page."""
    parser = _FormParser()
    parser.feed(html)
    return parser.forms


def form_with_button(html: str, label: str) -> Form:
    """Return the form that has a button labelled ``label``."""
    for form in forms(html):
        if label in form.buttons:
            return form
    raise AssertionError(f"No form with a {label!r} button in the page")
