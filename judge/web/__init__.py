"""Server-rendered web pages for candidates and hiring teams (Jinja2 templates, little JavaScript)."""
