#!/usr/bin/env python
"""Django's command-line utility for administrative tasks."""

import os
import sys


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    from django.core.management import execute_from_command_line

    from config.environment import EnvironmentVariableError

    try:
        execute_from_command_line(sys.argv)
    except EnvironmentVariableError as error:
        # A variable the portal cannot read: its one line, which names it, and no traceback.
        sys.exit(str(error))


if __name__ == "__main__":
    main()
