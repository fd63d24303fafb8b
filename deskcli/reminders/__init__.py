"""Reminders (催单): `remind run` (run), what is due when (due), SLA and business hours (sla),
schedules and holidays (schedules), cron lines (cron), where an escalation goes (escalation)
and the crontab that runs it all (crontab).
"""
