"""People: the desk's staff, departments and roles, with init and settings (staff), and the
people it serves with the systems that open tickets for them (customers: customers and
access clients). Who may do what is deskcli.policy, which every domain checks.
"""
