"""The API's value types: what the published schema says is what the server accepts (README, "API limits").

Every string has a maximum length and refuses control characters (NUL included: PostgreSQL cannot store it) and
lone surrogates; numbers are JSON numbers (no "12" for 12, no true for 1) with bounds; dates are "YYYY-MM-DD"
strings between 1900-01-01 and 2100-12-31; every object refuses fields it does not name. Step forms are turned
into schemas here (`form_schema`) so a client reads in the OpenAPI document what each step of the procedure takes,
and the form still decides what the schema cannot say (a date after another, a code that exists)."""

import datetime
import decimal
import re
from typing import Annotated, Any, Literal

from django import forms
from pydantic import AfterValidator, BeforeValidator, ConfigDict, Field, StringConstraints, WithJsonSchema, create_model
from pydantic import Strict as PydanticStrict

MIN_DATE = datetime.date(1900, 1, 1)
MAX_DATE = datetime.date(2100, 12, 31)
MAX_ID = 2**31 - 1  # ids and numbers fit a PostgreSQL integer
MAX_OFFSET = 1_000_000
MAX_LIST = 50  # items in any list of a payload

# One line: no control character at all. Text: tab, line feed and carriage return allowed.
LINE_PATTERN = r"^[^\x00-\x1f\x7f-\x9f]*$"
TEXT_PATTERN = r"^[^\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]*$"
_DATE_PATTERN = r"^(19[0-9]{2}|20[0-9]{2}|2100)-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])$"
_SURROGATE = re.compile(r"[\ud800-\udfff]")


def _no_surrogate(value: str) -> str:
    if _SURROGATE.search(value):
        raise ValueError("String should not contain unpaired surrogates")
    return value


def line(max_length: int, min_length: int = 0):
    """A one-line string of at most `max_length` characters, without control characters."""
    return Annotated[str, PydanticStrict(), StringConstraints(max_length=max_length, min_length=min_length,
                                                              pattern=LINE_PATTERN), AfterValidator(_no_surrogate)]


def text(max_length: int, min_length: int = 0):
    """A multi-line text (tab and line breaks allowed, no other control character)."""
    return Annotated[str, PydanticStrict(), StringConstraints(max_length=max_length, min_length=min_length,
                                                              pattern=TEXT_PATTERN), AfterValidator(_no_surrogate)]


def _parse_date(value: Any) -> datetime.date:
    if not isinstance(value, str) or not re.fullmatch(_DATE_PATTERN, value):
        raise ValueError("Input should be a date as YYYY-MM-DD between 1900-01-01 and 2100-12-31")
    try:
        return datetime.date.fromisoformat(value)
    except ValueError:
        raise ValueError("Input should be a valid calendar date") from None


LegalDate = Annotated[
    datetime.date,
    BeforeValidator(_parse_date),
    WithJsonSchema({"type": "string", "format": "date", "pattern": _DATE_PATTERN}),
]
"""A date of an act: a "YYYY-MM-DD" string, years 1900-2100."""


def _parse_amount(value: Any) -> decimal.Decimal:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError("Input should be a JSON number")
    amount = decimal.Decimal(str(value))
    if amount.as_tuple().exponent < -2:
        raise ValueError("Input should have at most 2 decimal places")
    return amount


Amount = Annotated[
    decimal.Decimal,
    BeforeValidator(_parse_amount),
    Field(ge=0, le=decimal.Decimal("9999999999.99")),
    WithJsonSchema({"type": "number", "minimum": 0, "maximum": 9999999999.99,
                    "description": "Euro, al più due decimali"}),
]


PLAN_ACTION_PATTERN = r"^[-A-Za-z0-9_]{1,40}/[0-9]{1,9}$"


def _parse_plan_action(value: Any) -> int | str:
    if isinstance(value, int) and not isinstance(value, bool) and 1 <= value <= MAX_ID:
        return value
    if isinstance(value, str) and re.fullmatch(PLAN_ACTION_PATTERN, value):
        return value
    raise ValueError('Input should be "<plan code>/<number>" (e.g. "2022-2023/5") or a positive integer')


PlanActionRef = Annotated[
    int | str,
    BeforeValidator(_parse_plan_action),
    WithJsonSchema({
        "oneOf": [
            {"type": "string", "pattern": PLAN_ACTION_PATTERN, "maxLength": 50, "examples": ["2022-2023/5"]},
            {"type": "integer", "minimum": 1, "maximum": MAX_ID},
        ],
        "description": "Azione del piano come <codice piano>/<numero> (es. 2022-2023/5); il solo numero vale "
                       "finché un solo piano ha un'azione con quel numero, altrimenti 422",
    }),
]
"""A plan action in a payload: "<plan code>/<number>", or the number alone (a JSON integer) where unambiguous."""


def count(low: int, high: int):
    """A JSON integer between `low` and `high` (booleans and strings refused)."""
    return Annotated[int, PydanticStrict(), Field(ge=low, le=high)]


Id = count(1, MAX_ID)
STRICT = ConfigDict(extra="forbid", strict=True)


# --- Step forms as schemas ---------------------------------------------------------------------------------------


def _field_type(field: forms.Field):
    """The schema of one form field and its default (None when the field is required)."""
    required = field.required
    if isinstance(field, forms.BooleanField):
        return (Literal[True], ...) if required else (Annotated[bool, PydanticStrict()], False)
    if isinstance(field, forms.DateField):
        return (LegalDate, ...) if required else (LegalDate | None, None)
    if isinstance(field, forms.ChoiceField):
        values = tuple(str(value) for value, _label in field.choices if str(value) != "")
        return (Literal[values], ...) if required else (Literal[values] | None, None)
    if isinstance(field, forms.CharField):
        max_length = field.max_length or 10000
        kind = text if isinstance(field.widget, forms.Textarea) else line
        return (kind(max_length, 1), ...) if required else (kind(max_length), "")
    raise TypeError(f"No API schema for form field {type(field).__name__}")


def form_schema(form_class: type[forms.Form], name: str, doc: str = ""):
    """A strict pydantic model with one attribute per field of `form_class`, named `name` in the OpenAPI document."""
    fields = {}
    for field_name, field in form_class.base_fields.items():
        annotation, default = _field_type(field)
        description = str(field.label) if field.label else None
        fields[field_name] = (annotation, Field(default, description=description))
    return create_model(name, __config__=STRICT, __doc__=doc or None, **fields)


def form_data(model) -> dict:
    """A validated step model as the step's form reads it: dates as ISO text, absent optional values left out."""
    data = {}
    for key, value in model.model_dump().items():
        if value is None:
            continue
        data[key] = value.isoformat() if isinstance(value, datetime.date) else value
    return data
