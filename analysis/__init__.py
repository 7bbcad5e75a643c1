"""``python -m analysis.compare``: read what both functions logged, compare them, write a report.

One concern per module: sources (``insights``, ``logevents``) fetch raw log events, ``parse`` and ``dataset`` turn
them into work items joined to Lambda invocations, ``stats``/``cost``/``reconcile`` compute, ``summary`` assembles
the JSON contract, ``verdict``/``render``/``plots``/``reportdir`` present it, ``compare`` is the command line.
"""
