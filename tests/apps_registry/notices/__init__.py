"""design §3: the e-mail notices of App changes. A secret regenerated, the App disabled, enabled
or removed tells the App's admin e-mail and its owner account's e-mail, whatever the entry point,
once the change commits; never with a secret in it; and a mail server that fails never fails
the change."""
