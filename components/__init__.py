"""archbench's Pulumi components: one ``ComponentResource`` per resource group, built from the stack model.

The model they read (settings, spec, alarms, outputs) is the Pulumi-free ``stack`` package, which the local cloud
reads too. Nothing is imported here: import the component modules explicitly.
"""
