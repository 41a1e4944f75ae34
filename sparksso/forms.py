"""Showing a service's ValidationError on the form that called it."""

from django import forms
from django.core.exceptions import ValidationError


def form_errors_from_service(form: forms.Form, error: ValidationError) -> None:
    """Each field's errors next to that field; errors about no field of this form at the top."""
    if hasattr(error, "error_dict"):
        for field, errors in error.error_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, error)
