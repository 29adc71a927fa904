"""Delete expired tokens, codes and one-time records; run it on a schedule (docs/deployment.md)."""

import time

from django.core.management.base import BaseCommand

from oauth.housekeeping import purge_expired


class Command(BaseCommand):
    help = (
        "Delete expired access tokens, authorization codes and revoked refresh tokens (what "
        "`cleartokens` does), the tokens of removed App secrets (refused since; deleted in "
        "batches), the redeemed-code and consumed-registration records that have outlived "
        "their use, the open-registered Apps that got no token within a day, and the e-mail "
        "notices' letters sent more than a week ago."
    )

    def handle(self, *args, **options):
        started = time.monotonic()
        counts = purge_expired()
        self.stdout.write(
            f"Deleted {counts['expired_access_tokens']} expired access token(s) (in batches), "
            f"{counts['redeemed_codes']} redeemed-code record(s) and "
            f"{counts['consumed_registrations']} consumed-registration record(s), and "
            f"{counts['tokens_of_removed_secrets']} token(s) of {counts['removed_secrets']} removed "
            f"secret(s); removed {counts['unused_open_registrations']} unused open-registered App(s) and "
            f"{counts['letters_sent']} notice letter(s) sent a week ago; "
            f"expired refresh tokens and codes cleared. Took {time.monotonic() - started:.1f} s."
        )
