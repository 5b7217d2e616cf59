"""Tools for developing against Syncline, outside the data path.

`syncline dev receiver` lives here: a small HTTP server that prints what an
HTTP destination sends it. Nothing in the engine, the API or the connectors
imports this package, and it imports no other Syncline layer except
`syncline.errors`.
"""
