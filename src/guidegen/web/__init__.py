"""The web guide: HTML pages from a guide, sealing them for their person, and the theme's trial render."""
