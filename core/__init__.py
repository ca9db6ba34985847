"""Small helpers every app may use; imports nothing from the project's apps."""
