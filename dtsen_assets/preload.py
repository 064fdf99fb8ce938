"""What every step process of dtsen_build_provinces starts from: the Definitions imported and the job resolved.

The job's multiprocess executor forks each step from a forkserver that imported this module
(`preload_modules`), so a step does not import the code and resolve the asset graph again (about a
second a step otherwise).
"""

from dtsen_assets.definitions import defs

PROVINCES_JOB = "dtsen_build_provinces"
defs.get_repository_def().get_job(PROVINCES_JOB)
