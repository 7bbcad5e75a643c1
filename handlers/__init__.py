"""The Lambda code shipped to both architectures: event adapters, validation, workloads and EMF metrics.

Only the standard library and ``handlers/requirements.txt`` may be imported from here: the folder ships alone.
"""
