"""Bijectors of the GenGS estimator."""

from tfp_gengs.bijectors.outcome_projection import OutcomeProjection

__all__ = ['OutcomeProjection']
