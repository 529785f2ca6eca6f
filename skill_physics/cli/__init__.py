"""Command lines that are not the paper's: ``skill-physics-fit`` (``fit``)."""
