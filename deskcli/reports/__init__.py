"""Reports (SPEC §8): the report functions (queries: summary, sla, agents, over one desk or
several), their shape and shared arithmetic (model), fields and trend (trends), output in
every format (output) and in the desk's language (locale).
"""
