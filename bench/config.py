"""The benchmark's sizes."""

# The S data set at scale 1: 1000 accounts in the Administrator's tree with 100 Apps each, and
# 10 live and 10 expired access tokens per App (1,000,000 of each); a scale shrinks the
# number of accounts.
GROWN_ACCOUNTS = 1000
GROWN_APPS_PER_ACCOUNT = 100
GROWN_TOKENS_PER_APP = 10
