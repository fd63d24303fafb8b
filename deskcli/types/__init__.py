"""Ticket types, data not code: defining them (manage: `type add|update|show|list|remove`),
custom fields (fields), choosing the assignee of a new ticket (routing) and the ticket life as
a transition table (workflow). fields, routing and workflow are pure: no I/O.
"""
