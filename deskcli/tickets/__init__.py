"""Tickets: opening, listing and showing them (opening), their life (life: approve, assign,
accept, transfer, reply, resolve, close, ...), the details around one (changes: CC, fields,
checklist, tags, time, rating; attachments; links and merging; contacts), bulk import and
export (bulk), the views of one person (views: queue, CC'd to me, dashboard, saved views),
the timeline every change writes (timeline) and a user's departure (departure).
"""
