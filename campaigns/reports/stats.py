"""Interval arithmetic for the holdout test: Wilson score intervals, Newcombe's interval for a difference of two
proportions (his method 10), and the sample size at which an observed difference would become significant."""
from fractions import Fraction
from math import ceil, sqrt

Z95 = 1.959963984540054  # the two-sided 95% point of the standard normal


def half_away(value: Fraction | int) -> int:
    """Round an exact number to a whole one, halves away from zero (the accountant's rounding)."""
    size = abs(Fraction(value))
    whole = size.numerator // size.denominator
    if (size - whole) * 2 >= 1:
        whole += 1
    return -whole if value < 0 else whole


def wilson(successes: int, size: int, z: float = Z95) -> tuple[float, float]:
    """Return the Wilson score interval of a proportion (successes of size > 0)."""
    p = successes / size
    centre = (p + z * z / (2 * size)) / (1 + z * z / size)
    half = z * sqrt(p * (1 - p) / size + z * z / (4 * size * size)) / (1 + z * z / size)
    return max(0.0, centre - half), min(1.0, centre + half)


def newcombe(successes_a: int, size_a: int, successes_b: int, size_b: int, z: float = Z95) -> tuple[float, float]:
    """Return the interval of p_a - p_b by Newcombe's hybrid score method (from the two Wilson intervals)."""
    p_a, p_b = successes_a / size_a, successes_b / size_b
    low_a, high_a = wilson(successes_a, size_a, z)
    low_b, high_b = wilson(successes_b, size_b, z)
    difference = p_a - p_b
    return (difference - sqrt((p_a - low_a) ** 2 + (high_b - p_b) ** 2),
            difference + sqrt((high_a - p_a) ** 2 + (p_b - low_b) ** 2))


def members_needed(p_a: float, size_a: int, p_b: float, size_b: int, z: float = Z95) -> int | None:
    """How many more members, split as now, would make the difference p_a - p_b significant by the normal
    approximation (None when there is no difference to detect)."""
    difference = p_a - p_b
    if difference == 0 or not size_a or not size_b:
        return None
    ratio = size_b / size_a  # control members per treatment member
    variance = p_a * (1 - p_a) + p_b * (1 - p_b) / ratio  # per treatment member
    treatment = ceil(z * z * variance / (difference * difference))
    total = treatment + ceil(treatment * ratio)
    return max(1, total - size_a - size_b)
