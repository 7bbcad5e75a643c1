"""archbench's stack description and its Pulumi components.

Nothing is imported here: ``settings``, ``spec`` and ``outputs`` are read by ``localcloud``, ``loadgen`` and
``analysis``, which must not pay for (or need) pulumi. Import the component modules explicitly.
"""
