"""Evaluations of named interventions, each a pre-registered plan run on a release."""
