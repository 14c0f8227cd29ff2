"""The exchange with the outside (issue 12): 12345 platforms (their configuration, mapping
tables, orders in and messages out), Open311 applications' keys, and ticket imports from
Excel and CSV sheets. Each part adds its models here."""
