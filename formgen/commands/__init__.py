"""One module per ``formgen`` sub-command; :mod:`formgen.cli` lists them."""
