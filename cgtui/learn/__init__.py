"""Learning the params: data sets and gradient descent over a batch.
Imports the engine and below.
"""
