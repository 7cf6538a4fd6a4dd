"""One module per assignment, each defining ``ASSIGNMENT``; adding a module here registers it."""
