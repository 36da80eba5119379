"""guidegen: personalised recovery guides from YAML profiles and Markdown modules."""

__version__ = "0.1.0"
