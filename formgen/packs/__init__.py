"""The pack stage: one ZIP per applicant (``formgen pack``, the web app's pack download)."""
