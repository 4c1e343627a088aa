"""The language: expression text and YAML files to a graph and back (tokenizer and parser,
builder, printer, YAML reader and writer, source loading, the bundled samples).
Imports only :mod:`cgtui.core`.
"""
