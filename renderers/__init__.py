"""Renderers: turn a case's document tree into HTML, PDF and e-mail text.

``renderers.pdf`` owns the PDF engines (WeasyPrint and wkhtmltopdf) behind one function.
"""
