import os

# One thread per numerical library in a web process (see respite.gunicorn_conf): set before numpy
# is first imported, whichever server loads this module.
for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS", "RAYON_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

from django.core.wsgi import get_wsgi_application  # noqa: E402

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "respite.settings")
application = get_wsgi_application()
