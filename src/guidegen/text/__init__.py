"""The module language: Markdown with guidegen's containers, the Jinja2 sandbox that personalises a
module body, and reading-grade scores. Depends on nothing else in guidegen but errors."""
