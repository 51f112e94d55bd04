"""Trainings in worker processes, their records, and the train RPCs."""
