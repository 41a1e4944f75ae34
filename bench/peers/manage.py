"""manage.py for the django-scim2 peer; run with the peers' venv (var/bench-peers-venv)."""

import os
import sys

if __name__ == "__main__":
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "scim_peer.settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)
