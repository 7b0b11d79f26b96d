"""Test configuration: Hypothesis profiles.

Locally Hypothesis explores new examples on every run; under CI (CI=true) it is derandomized so a run is
reproducible. No deadline: the first call of a test pays torch's warm-up, which is not what is tested.
"""

import os

from hypothesis import settings

settings.register_profile("dev", deadline=None, max_examples=100)
settings.register_profile("ci", deadline=None, max_examples=100, derandomize=True)
settings.load_profile("ci" if os.environ.get("CI") else "dev")
