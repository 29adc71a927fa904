"""`make bench` (python -m bench): the portal under load, as ratios to a bare view. See bench/run.py."""
