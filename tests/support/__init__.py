"""What several test packages share: the Pulumi mock harnesses and reading a run's EMF documents back."""
