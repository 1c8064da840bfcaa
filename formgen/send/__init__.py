"""``formgen send``: each person's link, pack or certificates by email, once.

:mod:`.plan` finds what each person is sent, :mod:`.templates` writes the words from the
message templates staff edit, :mod:`.compose` builds the email, :mod:`.smtp` hands it to
the server, :mod:`.log` remembers what was sent, and :mod:`.run` goes through a batch.
"""
