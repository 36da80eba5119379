"""The printed guide: what goes on paper, height estimates, the layout and the PDF (the only
stage that imports WeasyPrint)."""
