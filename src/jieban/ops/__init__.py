"""Operating Jieban (issue 14): backups that restore, health and metrics for the operator."""
