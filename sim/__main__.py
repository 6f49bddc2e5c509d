from sim.startup import one_blas_thread

one_blas_thread()  # before numpy loads

from sim.cli import main  # noqa: E402
from sim.experiments.gc_freeze import freeze_at_exit  # noqa: E402

if __name__ == "__main__":
    freeze_at_exit()
    main()
