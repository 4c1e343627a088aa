"""The foundation every layer stands on: errors, the op table (each operation's forward rule,
local derivatives and syntax, as data), the graph data structure and the notation.
Pure: never imports textual or rich, and nothing above it.
"""
