"""The render stage: a template's variables (:mod:`.context`), the compiled docxtpl engine
(:mod:`.engine`), which documents an applicant gets and how they are made
(:mod:`.documents`), file names (:mod:`.naming`), ``formgen render`` (:mod:`.write`) and
``formgen check`` (:mod:`.check`)."""
