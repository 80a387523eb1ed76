from tracker_common.migrations import run_env

from capacity.models import Base

run_env(Base.metadata)
