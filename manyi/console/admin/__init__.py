"""The admin screens: org import, users, teams, categories, routing rules, SLA policies, calendars."""
