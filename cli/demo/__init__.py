"""``legalaid demo``: a sample center modelled on the seed report, written as import files and imported.

``generate`` makes the rows (deterministic), ``run_demo`` writes, imports and summarises them; later
features add their own step to ``STEPS``.
"""
