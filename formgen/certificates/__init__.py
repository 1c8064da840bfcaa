"""Certificates: who is due which (:mod:`.plan`), numbers and codes (:mod:`.register`),
what a template sees (:mod:`.context`), QR codes (:mod:`.qr`), batch printing
(:mod:`.batch`), the whole run (:mod:`.run`) and checking a certificate
(:mod:`.verification`); the register's tables in a SQLite file or PostgreSQL
(:mod:`.schema`, :mod:`.store`) and moving one into PostgreSQL (:mod:`.transfer`)."""
