"""Contracts and plumbing shared by every Capacity Tracker service.

Services import this package; it imports no service.
"""
import warnings

# nameko 2 runs on eventlet, which warns on import that it is in bugfix-only
# mode; the decision to use it is recorded in DESIGN, the warning is noise.
warnings.filterwarnings("ignore", message=r"\s*Eventlet is deprecated")
