"""The peer's models, as django-scim2's own test models are: SCIM mixins on an AbstractUser."""

from django.contrib.auth.models import AbstractUser
from django.db import models
from django_scim import models as scim_models


class Group(scim_models.AbstractSCIMGroupMixin):
    name = models.CharField(max_length=80, unique=True)

    def __str__(self) -> str:
        return self.name


class User(scim_models.AbstractSCIMUserMixin, AbstractUser):
    scim_groups = models.ManyToManyField(Group, related_name="user_set", blank=True)

    def __str__(self) -> str:
        return self.username


class Token(models.Model):
    """A bearer token stored as its SHA-256 digest, looked up on every request (as OAuth2 tokens are)."""

    digest = models.CharField(max_length=64, unique=True)
    user = models.ForeignKey(User, on_delete=models.CASCADE)

    def __str__(self) -> str:
        return self.digest[:8]
