"""The foundation: what an applicant record is (:mod:`.applicant`), what the manifest says
(:mod:`.manifest`) and the reference data it names (:mod:`.reference`)."""
