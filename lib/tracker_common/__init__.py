"""Contracts and plumbing shared by every Capacity Tracker service.

Services import this package; it imports no service.
"""
import warnings

# nameko 2 runs on eventlet, which warns on import that it is in bugfix-only
# mode; the decision to use it is recorded in DESIGN, the warning is noise.
warnings.filterwarnings("ignore", message=r"\s*Eventlet is deprecated")

# kombu looks for the optional librabbitmq C client each time a connection
# object is made -- on every RPC call and reply, a failed import searching the
# whole path (about half a millisecond). We use pyamqp: tell Python at once
# that it is absent.
import sys  # noqa: E402

sys.modules.setdefault("librabbitmq", None)
