"""The users page's form for adding a user."""

from django import forms

from accounts.models import User


class UserAddForm(forms.Form):
    username = forms.CharField(label="Username", max_length=150, help_text="Unique in your account, ignoring case.")
    email = forms.EmailField(label="Email", required=False)
    first_name = forms.CharField(label="First name", max_length=150, required=False)
    last_name = forms.CharField(label="Last name", max_length=150, required=False)
    role = forms.ChoiceField(label="Role", choices=User.Role.choices, initial=User.Role.REPORTING)
