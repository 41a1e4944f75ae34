"""django-scim2's user filter with `emails.value` mapped to the email column."""

from django_scim.filters import UserFilterQuery as BaseUserFilterQuery


class UserFilterQuery(BaseUserFilterQuery):
    attr_map = {**BaseUserFilterQuery.attr_map, ("emails", "value", None): "email"}
