"""The supervisor's page: open counts, breaches, deadlines due soon, timeliness, escalations."""
