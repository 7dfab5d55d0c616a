"""The staff login form: the admin's own, with the user name's length checked before anything else is."""

from __future__ import annotations

from django.contrib.admin.forms import AdminAuthenticationForm
from django.core.validators import MaxLengthValidator


class OperatorLoginForm(AdminAuthenticationForm):
    """Django's login form sets the user name's ``max_length`` after the field is made, so it never validates it:
    a name of 100,000 characters went on to authentication, and django-axes failed writing it into its
    255-character column (a 500 on PostgreSQL). Checked here, such a name is a field error and no login attempt.
    """

    def __init__(self, request=None, *args, **kwargs):
        super().__init__(request, *args, **kwargs)
        field = self.fields["username"]
        field.validators.append(MaxLengthValidator(field.max_length))
