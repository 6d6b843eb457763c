"""What every mutation answers besides its object: the errors a user can correct."""

from __future__ import annotations

import strawberry

from api.errors import BadUserInput


@strawberry.type(description="An input the user can correct, with the input field it concerns.")
class UserError:
    field: list[str] | None = strawberry.field(description="Path of the input field, if any.")
    message: str = strawberry.field(description="What is wrong, in plain words.")
    code: str = strawberry.field(description="A stable code, e.g. BAD_USER_INPUT.")

    @classmethod
    def from_error(cls, error: BadUserInput) -> list[UserError]:
        # A field's name, or the path to a field nested in a list of inputs (files.0.title).
        field = error.extensions.get("field")
        path = (
            [str(step) for step in field] if isinstance(field, (list, tuple)) else [field] if field else None
        )
        return [cls(field=path, message=error.message, code=error.code.value)]
