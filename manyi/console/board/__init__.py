"""The dispatcher's board: new, about-to-breach and unassigned orders, triage, bulk assignment."""
